//! Wire types of the sync protocol under `/v1`, shared by the device and the server.
