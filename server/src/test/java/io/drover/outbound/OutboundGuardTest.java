package io.drover.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.http.ApiError;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The classifier over a table of addresses, every spelling of a host, and the allow list. */
class OutboundGuardTest {
    private final OutboundGuard guard = OutboundGuard.publicOnly();

    private static InetAddress ip(String text) throws UnknownHostException {
        return InetAddress.getByName(text.contains(":") ? "[" + text + "]" : text); // literals only: no lookup
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', textBlock = """
            0.0.0.0            | unspecified
            0.1.2.3            | unspecified
            10.0.0.1           | private
            10.255.255.255     | private
            100.64.0.1         | shared, carrier-grade NAT
            100.100.100.200    | shared, carrier-grade NAT
            127.0.0.1          | loopback
            127.255.255.254    | loopback
            169.254.169.254    | link-local
            172.16.0.1         | private
            172.31.255.255     | private
            192.0.0.170        | reserved
            192.0.2.1          | documentation
            192.168.1.1        | private
            198.18.0.1         | reserved
            224.0.0.251        | multicast
            240.0.0.1          | reserved
            255.255.255.255    | broadcast
            ::                 | unspecified
            ::1                | loopback
            fd00:ec2::254      | private, unique local
            fc00::1            | private, unique local
            fe80::1            | link-local
            fec0::1            | site-local
            ff02::1            | multicast
            2001:db8::1        | documentation
            2001:0:4136:e378:8000:63bf:3fff:fdd2 | reserved
            100::1             | reserved
            ::ffff:127.0.0.1   | loopback
            ::ffff:7f00:1      | loopback
            ::ffff:a9fe:a9fe   | link-local
            ::127.0.0.1        | loopback, carrying 127.0.0.1
            ::a00:1            | private, carrying 10.0.0.1
            64:ff9b::a9fe:a9fe | link-local, carrying 169.254.169.254
            64:ff9b:1::1       | reserved
            2002:7f00:1::      | loopback, carrying 127.0.0.1
            2002:c0a8:101::1   | private, carrying 192.168.1.1
            """)
    void refusedAddresses(String address, String kind) throws UnknownHostException {
        assertThat(Addresses.refusal(ip(address))).isEqualTo(kind);
    }

    @ParameterizedTest(name = "{0} is public")
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
            "192.167.255.255", "192.169.0.0", "169.253.255.255", "11.0.0.1", "223.255.255.255",
            "2606:4700:4700::1111", "2a00:1450:4001::200e", "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"})
    void publicAddresses(String address) throws UnknownHostException {
        assertThat(Addresses.refusal(ip(address))).isNull();
    }

    /** Every spelling the issue lists, and the other spellings resolvers and clients accept. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://10.1.2.3:8080/admin",
            "http://192.168.1.1/", "http://[fd00:ec2::254]/", "http://0.0.0.0:80/", "http://2130706433/",
            "http://0x7f000001/", "http://metadata.google.internal/computeMetadata/v1/",
            "http://0177.0.0.1/", "http://127.1/", "http://127.0.1/", "http://0x7f.1/", "http://0x7F.0.0.1/",
            "http://017700000001/", "http://127.0.0.1./", "http://0/", "http://[::]/", "http://[::1]:7070/",
            "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
            "http://[::ffff:169.254.169.254]/", "http://[fe80::1%25eth0]/", "http://[fe80::1]/",
            "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://3232235777/",
            "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
            "http://localhost/", "http://LOCALHOST:8080/", "http://localhost./", "http://api.localhost/",
            "http://metadata/", "http://metadata.google.internal./", "http://METADATA.GOOGLE.INTERNAL/",
            "http://metadata.goog/", "http://instance-data/", "http://instance-data.ec2.internal/",
            "http://printer.local/", "http://nas.home.arpa/", "http://db.localdomain/", "http://intranet/",
            "https://user:pass@127.0.0.1/", "http://evil.example@10.0.0.1/", "http://１２７.０.０.１/",
            "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "http://%31%32%37.0.0.1/", "http://1.2.3.4.5/", "http://example.123/"})
    void refusedAtCreation(String url) {
        assertThat(guard.refusal(url)).as(url).isNotNull();
        assertThatThrownBy(() -> guard.checkUrl("endpoint_url", url)).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(422);
            assertThat(e.details()).containsEntry("field", "endpoint_url");
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"https://hooks.example.com/drover", "http://example.com:8080/x", "https://8.8.8.8/",
            "http://134744072/", "https://[2606:4700:4700::1111]/", "http://example.com./", "https://EXAMPLE.com/",
            "http://localhost.example.com/", "http://10.0.0.1.example.com/"})
    void publicOrOnlyDnsCanTell(String url) {
        assertThat(guard.refusal(url)).as(url).isNull();
    }

    @Test
    void messagesSayWhatWasRefusedAndWhy() {
        assertThat(guard.refusal("http://2130706433/"))
                .isEqualTo("may not be called: 2130706433 is 127.0.0.1 (loopback) (DROVER_OUTBOUND_ALLOW lists the exceptions)");
        assertThat(guard.refusal("http://10.0.0.1/")).startsWith("may not be called: 10.0.0.1 (private)");
        assertThat(guard.refusal("http://[fd00:ec2::254]/")).contains("fd00:ec2::254", "unique local");
        assertThat(guard.refusal("http://metadata.google.internal/")).contains("internal name");
        assertThat(guard.refusal("ftp://example.com/")).contains("http:// or https://");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ::                      | ::
            ::1                     | ::1
            fd00:ec2:0:0:0:0:0:254  | fd00:ec2::254
            2001:db8:0:0:1:0:0:1    | 2001:db8::1:0:0:1
            2001:db8:0:1:1:1:1:1    | 2001:db8:0:1:1:1:1:1
            fe80:0:0:0:0:0:0:0      | fe80::
            127.0.0.1               | 127.0.0.1
            """)
    void addressesAreShownShort(String address, String text) throws UnknownHostException {
        assertThat(Addresses.text(ip(address))).isEqualTo(text);
    }

    @Test
    void theAllowListOpensCidrsAddressesAndNames() {
        OutboundGuard g = OutboundGuard.parse(" 10.1.0.0/16, 127.0.0.1 ,fd00::/8,hooks.corp, *.svc.internal ,localhost.,");
        assertThat(g.refusal("http://10.1.200.3/")).isNull();
        assertThat(g.refusal("http://10.2.0.1/")).contains("10.2.0.1");
        assertThat(g.refusal("http://2130706433/")).isNull();      // 127.0.0.1, however spelled
        assertThat(g.refusal("http://127.0.0.2/")).isNotNull();
        assertThat(g.refusal("http://[::ffff:127.0.0.1]/")).isNull();
        assertThat(g.refusal("http://[fd00:ec2::254]/")).isNull();
        assertThat(g.refusal("http://[fe80::1]/")).isNotNull();
        assertThat(g.refusal("http://hooks.corp/")).isNull();
        assertThat(g.refusal("http://HOOKS.corp./")).isNull();
        assertThat(g.refusal("http://a.b.svc.internal/")).isNull();
        assertThat(g.refusal("http://svc.internal/")).isNotNull();  // *.x is the names under x
        assertThat(g.refusal("http://localhost:8080/")).isNull();
        assertThat(g.refusal("http://metadata.google.internal/")).isNotNull();
        assertThat(g.toString()).contains("10.1.0.0/16", "127.0.0.1/32", "hooks.corp", "*.svc.internal");
        assertThat(OutboundGuard.parse("").refusal("http://127.0.0.1/")).isNotNull();
        assertThat(OutboundGuard.parse(null).toString()).isEqualTo("public addresses only");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"10.0.0.0/33", "fd00::/129", "10.0.0/8", "0x7f000001", "127.1", "10.0.0.0/x",
            "not a name", "fe80::1%eth0", "*.", "http://x/", "1.2.3.4.5"})
    void aBadAllowListIsRefusedNamingTheEntry(String entry) {
        assertThatThrownBy(() -> OutboundGuard.parse("127.0.0.1/32," + entry))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(entry.strip());
    }

    @Test
    void aBadAllowListStopsTheServerNamingTheSetting() {
        var config = io.drover.config.Config.fromEnv(Map.of("DROVER_OUTBOUND_ALLOW", "10.0.0.0/8,10.0.0.0/40"));
        assertThat(config.validate()).anySatisfy(p -> assertThat(p).startsWith("DROVER_OUTBOUND_ALLOW").contains("/40"));
        assertThat(io.drover.config.Config.fromEnv(Map.of()).validate()).noneMatch(p -> p.contains("OUTBOUND"));
    }

    /** Send time: the name is looked up once, and one refused address refuses it. */
    @Test
    void resolveChecksEveryAddressOfTheAnswer() throws Exception {
        List<String> lookups = new ArrayList<>();
        Map<String, List<InetAddress>> dns = Map.of(
                "public.example", List.of(ip("93.184.215.14"), ip("2606:2800:21f:cb07:6820:80da:af6b:8b2c")),
                "mixed.example", List.of(ip("93.184.215.14"), ip("10.0.0.7")),
                "meta.example", List.of(ip("::ffff:169.254.169.254")));
        guard.resolveWith(name -> {
            lookups.add(name);
            List<InetAddress> found = dns.get(name);
            if (found == null) {
                throw new UnknownHostException(name);
            }
            return found;
        });
        assertThat(guard.resolve("public.example")).hasSize(2);
        assertThat(guard.resolve("PUBLIC.example.")).hasSize(2);
        assertThatThrownBy(() -> guard.resolve("mixed.example")).isInstanceOfSatisfying(OutboundRefusedException.class,
                e -> {
                    assertThat(e.getMessage()).contains("mixed.example", "10.0.0.7", "private");
                    assertThat(e.fromDns()).isTrue();
                });
        assertThatThrownBy(() -> guard.resolve("meta.example")).hasMessageContaining("169.254.169.254");
        assertThatThrownBy(() -> guard.resolve("nowhere.example")).isInstanceOf(UnknownHostException.class);
        assertThat(lookups).containsExactly("public.example", "public.example", "mixed.example", "meta.example",
                "nowhere.example");

        // Literal addresses and internal names are refused without a lookup, and not as DNS answers.
        lookups.clear();
        for (String host : List.of("127.0.0.1", "[::1]", "0x7f000001", "2130706433", "localhost", "metadata",
                "metadata.google.internal", "[fe80::1%eth0]")) {
            assertThatThrownBy(() -> guard.resolve(host)).as(host)
                    .isInstanceOfSatisfying(OutboundRefusedException.class, e -> assertThat(e.fromDns()).isFalse());
        }
        assertThat(lookups).isEmpty();
        assertThat(guard.resolve("8.8.8.8")).containsExactly(ip("8.8.8.8"));
    }

    @Test
    void anAllowedNameMayResolveToAnyAddress() throws Exception {
        OutboundGuard g = OutboundGuard.parse("hooks.corp");
        g.resolveWith(name -> List.of(InetAddress.getByAddress(name, new byte[] {10, 0, 0, 9})));
        assertThat(g.resolve("hooks.corp")).extracting(InetAddress::getHostAddress).containsExactly("10.0.0.9");
        assertThatThrownBy(() -> g.resolve("other.corp")).isInstanceOf(OutboundRefusedException.class);
    }
}
