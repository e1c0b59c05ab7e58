// The screen's ViewModel: a thin wrapper that gives the plain-Kotlin VisitController (the
// sample's logic, tested on the JVM) its Android pieces — the app's client, the cache
// directory the camera writes into, the language, and a scope that ends with the screen.
package app.fieldkit.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import app.fieldkit.sample.logic.Texts
import app.fieldkit.sample.logic.VisitController
import java.io.File
import java.util.Locale

class VisitViewModel(app: Application) : AndroidViewModel(app) {
    val texts: Texts = Texts.of(Locale.getDefault().toLanguageTag())

    /** Its Jobs run in viewModelScope; the client itself is the app's (never closed here). */
    val controller = VisitController(
        scope = viewModelScope,
        kit = (app as SampleApp).kit,
        photoDir = File(app.cacheDir, PHOTO_DIR),
        texts = texts,
    )

    init {
        controller.start()
    }

    companion object {
        /** Shared with the camera through the FileProvider (res/xml/file_paths.xml). */
        const val PHOTO_DIR = "photos"
    }
}
