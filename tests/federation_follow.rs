//! People on other instances follow a community: Follow, Accept, the followers count, Undo.

mod common;

use common::{eventually, get_activity_json, start_instances};
use guild::service::follows::{FollowState, follow_community, unfollow_community};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_on_two_instances_then_one_unfollows() {
    let mut instances = start_instances(3).await;
    let c = instances.pop().expect("C");
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");
    let ann = a.create_user("ann").await;
    a.create_community("practice", "Writing practice", Some(&ann))
        .await;
    let bob = b.create_user("bob").await;
    let carol = c.create_user("carol").await;
    let handle = format!("practice@{}", a.domain);
    let on_b = b.resolve_community(&handle).await;
    let on_c = c.resolve_community(&handle).await;

    // Until the Accept arrives the follow is pending; then it is recorded on both sides.
    assert_eq!(
        follow_community(&b.data, &bob, &on_b)
            .await
            .expect("follow"),
        FollowState::Pending
    );
    b.follow_and_wait(&bob, &on_b).await;
    c.follow_and_wait(&carol, &on_c).await;

    let followers = a.url("/c/practice/followers");
    let total = get_activity_json(&followers).await["totalItems"].as_i64();
    assert_eq!(total, Some(2), "A lists both followers");
    let view = a.api("community?name=practice").await;
    assert_eq!(view["community_view"]["counts"]["subscribers"], 2);

    // A local person follows at once.
    let practice = a.resolve_community(&format!("practice@{}", a.domain)).await;
    assert_eq!(
        follow_community(&a.data, &ann, &practice)
            .await
            .expect("follow"),
        FollowState::Following
    );
    assert_eq!(get_activity_json(&followers).await["totalItems"], 3);

    // Carol's Undo removes her from A's followers.
    unfollow_community(&c.data, &carol, &on_c)
        .await
        .expect("unfollow");
    eventually("A to drop carol", || async {
        let total = get_activity_json(&followers).await["totalItems"].as_i64();
        (total == Some(2)).then_some(())
    })
    .await;
    let mut conn = c.conn().await;
    assert!(
        guild::db::follows::get(&mut conn, on_c.id, carol.id)
            .await
            .expect("query")
            .is_none()
    );
    drop(conn);

    for instance in [a, b, c] {
        instance.stop().await;
    }
}
