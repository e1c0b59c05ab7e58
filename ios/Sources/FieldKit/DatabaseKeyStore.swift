// The database key of this app install, kept in the iOS Keychain: 32 random bytes made once
// (SecRandomCopyBytes), stored as a generic password readable after the first unlock and
// never migrated to another device (kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, so a
// backup restored elsewhere cannot open the database, and a sync in the background after
// the first unlock can). The mirror of the Android layer's DatabaseKeyStore (Keystore).
import Foundation
import Security

/// A Keychain failure while reading or making the database key (`status` is the OSStatus).
public struct KeychainError: Error, Equatable {
    public let status: OSStatus
}

/// The FieldKit database key of this app install. `key()` returns the same 32 bytes every
/// time; the first call makes them. If the item is gone (the app deleted and reinstalled on
/// a device that cleared it), the database cannot be opened any more (`.WrongKey`): the
/// server holds everything synced, so the app can move the directory aside and enrol again.
public struct DatabaseKeyStore: Sendable {
    public let service: String
    public let account: String

    public init(service: String = "app.fieldkit.database-key", account: String = "fieldkit") {
        self.service = service
        self.account = account
    }

    /// The database key (32 bytes). Blocking (Keychain): call it off the main thread.
    public func key() throws -> Data {
        if let existing = try read() { return existing }
        var bytes = [UInt8](repeating: 0, count: 32)
        let random = SecRandomCopyBytes(kSecRandomDefault, bytes.count, &bytes)
        guard random == errSecSuccess else { throw KeychainError(status: random) }
        let key = Data(bytes)
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key,
        ]
        let status = SecItemAdd(add as CFDictionary, nil)
        if status == errSecDuplicateItem, let raced = try read() { return raced }
        guard status == errSecSuccess else { throw KeychainError(status: status) }
        return key
    }

    private func read() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data, data.count == 32 else {
            throw KeychainError(status: status == errSecSuccess ? errSecDecode : status)
        }
        return data
    }
}
