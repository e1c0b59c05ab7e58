// Android-only: the database key of this installation, kept under the Android Keystore. A
// random 32-byte key is made once, wrapped (AES-256-GCM) by a non-exportable Keystore key, and
// the wrapped bytes are stored in the app's no-backup files; the plain key exists only in
// memory while the database is being opened. Kept out of src/main (no Android classes there).
package app.fieldkit.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The FieldKit database key of this app install. [key] returns the same 32 bytes every time;
 * the first call makes them. If the wrapped key is lost (app data cleared) or the Keystore
 * key is gone (device reset), the database cannot be opened any more (`WrongKey`): the server
 * holds everything synced, so the app can move the data dir aside and enrol again.
 */
class DatabaseKeyStore(context: Context) {
    private val file = File(context.applicationContext.noBackupFilesDir, "fieldkit-db.key")

    /** The database key (32 bytes). Blocking (Keystore, file I/O): call it off the main thread. */
    @Synchronized
    fun key(): ByteArray {
        if (file.exists()) return unwrap(file.readBytes())
        val key = ByteArray(KEY_BYTES).also { SecureRandom().nextBytes(it) }
        val wrapped = wrap(key)
        // Written whole or not at all: a kill mid-write leaves no half key behind.
        val tmp = File(file.parentFile, file.name + ".tmp")
        tmp.outputStream().use { out ->
            out.write(wrapped)
            out.fd.sync()
        }
        check(tmp.renameTo(file)) { "could not store the database key" }
        return key
    }

    private fun wrappingKey(): SecretKey {
        val store = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (store.getKey(ALIAS, null) as SecretKey?)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    /** `iv (12 bytes) | AES-GCM(key) | tag`, under the Keystore key. */
    private fun wrap(key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val iv = cipher.iv
        check(iv.size == IV_BYTES) { "unexpected IV length" }
        return iv + cipher.doFinal(key)
    }

    private fun unwrap(wrapped: ByteArray): ByteArray {
        check(wrapped.size > IV_BYTES) { "the stored database key is damaged" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, wrapped, 0, IV_BYTES))
        return cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES).also {
            check(it.size == KEY_BYTES) { "the stored database key is damaged" }
        }
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "app.fieldkit.database-key-wrap"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val KEY_BYTES = 32
        const val IV_BYTES = 12
    }
}
