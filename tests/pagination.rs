//! Paging through listings by cursor (the API's `page_cursor`, the pages' "Next page" link):
//! every post once, in the listing's order, featured posts first in a community, whatever the
//! sort; and a cursor that is not one is refused.

mod common;

use common::{TestInstance, api::ApiClient, web::Browser};
use guild::service::{moderation, posts, votes};
use serde_json::Value;

const SORTS: [&str; 9] = [
    "Hot",
    "Active",
    "New",
    "Old",
    "TopDay",
    "TopWeek",
    "TopMonth",
    "TopAll",
    "MostComments",
];

fn ids(answer: &Value) -> Vec<i64> {
    answer["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|view| view["post"]["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_page_through_every_sort_in_order() {
    let a = TestInstance::start().await;
    let alice = a.create_user("alice").await;
    let bob = a.create_user("bob").await;
    let community = a.create_community("writing", "Writing", Some(&alice)).await;
    let mut created = Vec::new();
    for n in 0..23 {
        let post = posts::create_post(
            &a.data,
            &alice,
            &community,
            posts::PostInput {
                title: format!("Draft {n}"),
                ..Default::default()
            },
        )
        .await
        .expect("post");
        // Scores from -1 to 1 make ties, which the id breaks.
        let score = (n % 3) as i16 - 1;
        if score != 0 {
            let target = guild::federation::activities::StoredObject::Post(post.clone());
            votes::vote(&a.data, &bob, &target, score)
                .await
                .expect("vote");
        }
        created.push(post);
    }
    moderation::set_featured(&a.data, &alice, &created[5], true)
        .await
        .expect("feature");

    let reader = ApiClient::anonymous(&a);
    for scope in ["type_=All", &format!("community_id={}", community.id)] {
        for sort in SORTS {
            let whole = ids(&reader
                .get(&format!("post/list?{scope}&sort={sort}&limit=50"))
                .await
                .ok());
            assert_eq!(whole.len(), 23, "{scope} {sort}");
            let mut paged = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..10 {
                let path = match &cursor {
                    Some(cursor) => {
                        format!("post/list?{scope}&sort={sort}&limit=5&page_cursor={cursor}")
                    }
                    None => format!("post/list?{scope}&sort={sort}&limit=5"),
                };
                let answer = reader.get(&path).await.ok();
                paged.extend(ids(&answer));
                match answer["next_page"].as_str() {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            assert_eq!(paged, whole, "{scope} {sort}: pages by cursor differ");
            if scope.starts_with("community") {
                assert_eq!(whole[0], created[5].id, "{sort}: the featured post opens");
            }
        }
    }

    // A cursor that is not one, or one of another sort, is refused.
    for (sort, cursor) in [
        ("New", "x"),
        ("New", "0_12_3"),
        ("Hot", "0_2026-11-23T10:00:00.000000Z_3"),
        ("TopAll", "2_5_3"),
        ("Hot", "0_NaN_3"),
    ] {
        reader
            .get(&format!("post/list?sort={sort}&page_cursor={cursor}"))
            .await
            .refused(400, "couldnt_get_posts");
    }
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_page_links_carry_the_cursor() {
    let a = TestInstance::start().await;
    let alice = a.create_user("alice").await;
    let community = a
        .create_community("speaking", "Speaking", Some(&alice))
        .await;
    for n in 0..25 {
        posts::create_post(
            &a.data,
            &alice,
            &community,
            posts::PostInput {
                title: format!("Talk number {n:02}"),
                ..Default::default()
            },
        )
        .await
        .expect("post");
    }
    let mut reader = Browser::new(&a);
    let first = reader.get("/c/speaking?sort=new").await;
    assert_eq!(first.status, 200);
    first.shows(&["Talk number 24", "Talk number 05"]);
    assert!(!first.contains("Talk number 04"), "20 a page");
    let next = first
        .html
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("after="))
        .expect("a next link with a cursor")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let second = reader.get(&next).await;
    assert_eq!(second.status, 200, "{next}");
    second.shows(&["Talk number 04", "Talk number 00"]);
    assert!(
        !second.contains("Talk number 05"),
        "page 2 starts after page 1"
    );

    let front = reader.get("/?feed=all&sort=new").await;
    assert!(
        front.contains("after="),
        "the front page pages by cursor too"
    );
    let bad = reader.get("/c/speaking?sort=new&after=nonsense").await;
    assert_eq!(bad.status, 400);
    a.stop().await;
}
