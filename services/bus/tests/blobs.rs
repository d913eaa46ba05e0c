//! Payloads too large for a message go through the object store, and the
//! key-value workaround, both on the local nats-server (2.9 on Debian).

use townreports_bus::blob::INLINE_LIMIT;

#[tokio::test]
async fn large_payloads_round_trip_through_the_object_store() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(dir.path()).await;
    let big: Vec<u8> = (0..3 * INLINE_LIMIT).map(|i| (i % 251) as u8).collect();
    let reference = bus.put_blob(&big).await.unwrap();
    assert_eq!(reference.size as usize, big.len());
    // Storing the same bytes again is the same object.
    assert_eq!(bus.put_blob(&big).await.unwrap(), reference);
    assert_eq!(bus.get_blob(&reference).await.unwrap().as_ref(), big.as_slice());

    let kv = bus.key_value("test_bucket", 1).await.unwrap();
    kv.put("k", "v1".into()).await.unwrap();
    assert_eq!(kv.get("k").await.unwrap().unwrap().as_ref(), b"v1");
    server.terminate().await;
}
