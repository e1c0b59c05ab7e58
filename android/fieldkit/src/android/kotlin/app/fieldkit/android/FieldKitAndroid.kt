// Android-only helpers: where the database lives on a device. Kept out of src/main so the
// rest of the library compiles and is tested on a plain JVM.
package app.fieldkit.android

import android.content.Context
import app.fieldkit.FieldKitClient
import app.fieldkit.ffi.KitConfig
import java.io.File
import java.util.Locale

/** The app's FieldKit directory: in no-backup storage (the server holds the truth; a restored
 * copy of another phone's outbox would be wrong). */
fun Context.fieldKitDir(): File = File(noBackupFilesDir, "fieldkit")

/** The phone's language as a BCP 47 tag: what FieldKit writes its reasons in. */
fun systemLocaleTag(): String = Locale.getDefault().toLanguageTag()

/**
 * Opens the app's FieldKit database, encrypted with this install's key from the Android
 * Keystore ([DatabaseKeyStore]), speaking the phone's language (call
 * `setLocale(systemLocaleTag())` again when it changes). Blocking (Keystore, SQLite): call it
 * off the main thread.
 */
fun FieldKitClient.Companion.open(
    context: Context,
    config: KitConfig = KitConfig(locale = systemLocaleTag()),
): FieldKitClient {
    val key = DatabaseKeyStore(context).key()
    try {
        return FieldKitClient.open(context.applicationContext.fieldKitDir(), key, config)
    } finally {
        key.fill(0)
    }
}
