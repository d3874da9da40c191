package io.drover.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server's master key (32 bytes): from {@code DROVER_SECRETS_KEY}, or generated once into
 * {@code <data dir>/secrets.key} with mode 0600. Every node on one database must share it. Sub-keys
 * are derived per purpose with HMAC-SHA256, so the API-key pepper and the encryption key differ.
 */
public final class Keys {
    private final byte[] master;

    private Keys(byte[] master) {
        this.master = master;
    }

    public static Keys load(Optional<String> fromEnv, Path dataDir) throws IOException {
        if (fromEnv.isPresent()) {
            return new Keys(Base64.getDecoder().decode(fromEnv.get().strip()));
        }
        Path file = dataDir.resolve("secrets.key");
        if (Files.exists(file)) {
            return new Keys(Base64.getDecoder().decode(Files.readString(file).strip()));
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.createDirectories(dataDir);
        writePrivate(file, Base64.getEncoder().encodeToString(key) + "\n");
        return new Keys(key);
    }

    public static Keys of(byte[] master) {
        return new Keys(master.clone());
    }

    /** Writes a file that only its owner can read (mode 0600 where the file system has modes). */
    public static void writePrivate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public byte[] derive(String purpose) {
        return hmac(master, purpose.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
