package io.drover.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM sealing of small secrets (signing secrets, later project secrets). The sealed form is
 * {@code keyId(1) | nonce(12) | ciphertext+tag}, so a future key rotation can tell keys apart.
 */
public final class SecretBox {
    public static final byte KEY_ID = 1;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    public SecretBox(Keys keys) {
        this.key = new SecretKeySpec(keys.derive("drover secret box v1"), "AES");
    }

    public byte[] seal(byte[] plaintext, byte[] associatedData) {
        try {
            byte[] nonce = new byte[12];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(associatedData);
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(1 + 12 + sealed.length).put(KEY_ID).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] open(byte[] box, byte[] associatedData) {
        if (box.length < 1 + 12 + 16 || box[0] != KEY_ID) {
            throw new IllegalArgumentException("not a sealed value of this key");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, box, 1, 12));
            cipher.updateAAD(associatedData);
            return cipher.doFinal(box, 13, box.length - 13);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot open sealed value (wrong DROVER_SECRETS_KEY?)", e);
        }
    }
}
