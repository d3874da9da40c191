package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The SDK must load on Java 17: every class file it ships is version 61 or lower. Reads the
 * compiled classes the tests run against (target/classes), so a module compiled for 18+ fails
 * the build here rather than on a user's Java 17.
 */
class ClassVersionTest {

    private static final int JAVA_17 = 61;

    @Test
    void every_client_class_file_loads_on_java_17() throws Exception {
        Path classes = Path.of(DroverClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(classes).isDirectory();
        Map<String, Integer> versions = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList())) {
                versions.put(classes.relativize(file).toString(), majorVersion(file));
            }
        }
        assertThat(versions).containsKey("io/drover/client/DroverClient.class");
        List<String> tooNew = versions.entrySet().stream()
                .filter(e -> e.getValue() > JAVA_17)
                .map(e -> e.getKey() + " (version " + e.getValue() + ")")
                .collect(Collectors.toList());
        assertThat(tooNew).as("class files above version 61 (Java 17)").isEmpty();
    }

    private static int majorVersion(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile); DataInputStream data = new DataInputStream(in)) {
            assertThat(data.readInt()).as("magic of %s", classFile).isEqualTo(0xCAFEBABE);
            data.readUnsignedShort(); // minor
            return data.readUnsignedShort();
        }
    }
}
