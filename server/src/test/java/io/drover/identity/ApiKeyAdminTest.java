package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

@DroverTest
class ApiKeyAdminTest {
    static TestServer server;
    static Api admin;

    @Test
    void keyIsShownOnceAndRevokedAtOnce() {
        var created = admin.post("/v1/api-keys", Map.of("name", "ci", "role", "operator"));
        assertThat(created.status()).isEqualTo(201);
        String key = created.json().get("key").asText();
        String id = created.json().get("id").asText();
        assertThat(key).startsWith("drv_").hasSize(44);
        var list = admin.get("/v1/api-keys");
        assertThat(list.text()).doesNotContain(key).contains(id).doesNotContain("key_hash");
        assertThat(admin.get("/v1/api-keys/" + id).json().has("key")).isFalse();
        Api ci = admin.withKey(key);
        assertThat(ci.get("/v1/jobs").status()).isEqualTo(200);
        Await.until("last_used_at recorded", Duration.ofSeconds(5),
                () -> !admin.get("/v1/api-keys/" + id).json().get("last_used_at").isNull());
        assertThat(admin.delete("/v1/api-keys/" + id).status()).isEqualTo(200);
        assertThat(ci.get("/v1/jobs").status()).isEqualTo(401);
        var audit = admin.get("/v1/audit-events?target_id=" + id).json().get("data");
        assertThat(audit).extracting(a -> a.get("action").asText()).containsExactly("api_key.revoke", "api_key.create");
    }

    @Test
    void rotationKeepsTheOldKeyForTheGraceWindow() {
        var first = admin.post("/v1/api-keys", Map.of("name", "svc", "role", "viewer"));
        var now = admin.post("/v1/api-keys/" + first.json().get("id").asText() + "/rotate", Map.of("grace_secs", 0));
        assertThat(now.status()).isEqualTo(201);
        // grace 0: the rotated key stops at once
        assertThat(admin.withKey(first.json().get("key").asText()).get("/v1/jobs").status()).isEqualTo(401);
        assertThat(admin.withKey(now.json().get("key").asText()).get("/v1/jobs").status()).isEqualTo(200);
        var second = admin.post("/v1/api-keys", Map.of("name", "svc2", "role", "viewer"));
        String oldKey = second.json().get("key").asText();
        var rotated = admin.post("/v1/api-keys/" + second.json().get("id").asText() + "/rotate",
                Map.of("grace_secs", 3600));
        assertThat(rotated.status()).isEqualTo(201);
        String newKey = rotated.json().get("key").asText();
        assertThat(newKey).isNotEqualTo(oldKey);
        assertThat(rotated.json().get("role").asText()).isEqualTo("viewer");
        assertThat(rotated.json().at("/previous/expires_at").isNull()).isFalse();
        assertThat(admin.withKey(oldKey).get("/v1/jobs").status()).isEqualTo(200);
        assertThat(admin.withKey(newKey).get("/v1/jobs").status()).isEqualTo(200);
        // the window ends: only the new key works
        IdentityKit.sql(server, "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ?::uuid",
                second.json().get("id").asText());
        Await.until("old key refused", Duration.ofSeconds(5), () -> admin.withKey(oldKey).get("/v1/jobs").status() == 401);
        assertThat(admin.withKey(newKey).get("/v1/jobs").status()).isEqualTo(200);
    }

    @Test
    void nobodyGrantsMoreThanTheyHave() {
        var owner = admin.post("/v1/api-keys", Map.of("name", "up", "role", "owner"));
        assertThat(owner.status()).isEqualTo(403);
        Api operator = admin.withKey(IdentityKit.key(admin, "operator"));
        assertThat(operator.post("/v1/api-keys", Map.of("name", "x", "role", "viewer")).status()).isEqualTo(403);
        var bad = admin.post("/v1/api-keys", Map.of("name", "x", "role", "root"));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(admin.post("/v1/api-keys", Map.of("role", "viewer")).status()).isEqualTo(422);
        assertThat(admin.post("/v1/api-keys", Map.of("name", 5)).status()).isEqualTo(400);
        assertThat(admin.delete("/v1/api-keys/not-a-uuid").status()).isEqualTo(404);
    }
}
