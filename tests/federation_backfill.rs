//! A newly followed remote community does not start empty: its recent posts are read from
//! its outbox, which is a paged OrderedCollection of Announce{Create{Page}}.

mod common;

use common::{TestInstance, eventually, get_activity_json};
use guild::service::posts::{PostInput, create_post};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_follow_backfills_recent_posts_from_the_outbox() {
    let a = TestInstance::start().await;
    let b = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let community = a
        .create_community("events", "Event planning", Some(&ann))
        .await;
    let mut titles = Vec::new();
    for n in 1..=23 {
        let title = format!("Venue checklist, part {n}");
        create_post(
            &a.data,
            &ann,
            &community,
            PostInput {
                title: title.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("post");
        titles.push(title);
    }

    // The outbox: a root with the newest twenty and a link to page one; page two has the rest.
    let outbox = get_activity_json(&a.url("/c/events/outbox")).await;
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 23);
    let items = outbox["orderedItems"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["type"], "Announce");
    assert_eq!(items[0]["actor"], a.url("/c/events").as_str());
    assert_eq!(items[0]["object"]["type"], "Create");
    assert_eq!(items[0]["object"]["object"]["type"], "Page");
    assert_eq!(
        items[0]["object"]["object"]["name"],
        "Venue checklist, part 23"
    );
    let page_two = get_activity_json(&a.url("/c/events/outbox?page=2")).await;
    assert_eq!(page_two["type"], "OrderedCollectionPage");
    assert_eq!(page_two["orderedItems"].as_array().map(Vec::len), Some(3));
    assert!(page_two.get("next").is_none());
    assert_eq!(
        get_activity_json(&a.url("/c/events/outbox?page=1")).await["next"],
        a.url("/c/events/outbox?page=2").as_str()
    );

    // Bob on B follows: the twenty newest posts arrive without being announced.
    let bob = b.create_user("bob").await;
    let handle = format!("events@{}", a.domain);
    let on_b = b.resolve_community(&handle).await;
    b.follow_and_wait(&bob, &on_b).await;
    let listed = eventually("the backfill", || async {
        let posts = b.community_posts(&handle).await;
        (posts.len() == 20).then_some(posts)
    })
    .await;
    assert_eq!(listed[0]["post"]["name"], "Venue checklist, part 23");
    assert_eq!(listed[19]["post"]["name"], "Venue checklist, part 4");
    assert_eq!(listed[0]["creator"]["actor_id"], ann.ap_id);

    a.stop().await;
    b.stop().await;
}
