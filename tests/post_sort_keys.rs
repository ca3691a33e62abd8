//! A post's counters and its sort keys (migration 000022): votes and comments move the
//! counters at once and in place, without an index entry; listings follow at the fold.

mod common;

use common::{TestInstance, eventually, exec};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool},
};
use diesel_async::RunQueryDsl;
use guild::{
    db::models::{Community, Person, Post},
    federation::activities::StoredObject,
    service::{comments::create_comment, votes::vote},
};

#[derive(QueryableByName)]
struct Updates {
    #[diesel(sql_type = BigInt)]
    updated: i64,
    #[diesel(sql_type = BigInt)]
    in_place: i64,
}

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = Bool)]
    marked: bool,
}

/// An instance with two people, ann and bob, and a community.
async fn instance_with_a_community() -> (TestInstance, Person, Person, Community) {
    let a = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let bob = a.create_user("bob").await;
    let maps = a.create_community("maps", "Maps", None).await;
    (a, ann, bob, maps)
}

async fn is_marked(conn: &mut guild::db::Connection, post: &Post) -> bool {
    let marked: Marked = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM posts_to_rank WHERE post_id = {}) AS marked",
        post.id
    ))
    .get_result(conn)
    .await
    .expect("mark");
    marked.marked
}

async fn top_titles(instance: &TestInstance) -> Vec<String> {
    instance.api("post/list?type_=All&sort=TopAll").await["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| p["post"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The rows of `posts` this backend updated and has not reported yet, and how many of them
/// in place (HOT: no index entry written).
async fn posts_updated_in_this_transaction(conn: &mut guild::db::Connection) -> Updates {
    diesel::sql_query(
        "SELECT pg_stat_get_xact_tuples_updated('posts'::regclass) AS updated,
                pg_stat_get_xact_tuples_hot_updated('posts'::regclass) AS in_place",
    )
    .get_result(conn)
    .await
    .expect("statistics")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_and_a_comment_rewrite_no_index_entry_of_their_post() {
    let (a, ann, bob, maps) = instance_with_a_community().await;
    let post = a.create_post(&ann, &maps, "Contour lines").await;

    let mut conn = a.conn().await;
    for (what, statement) in [
        (
            "a vote",
            format!(
                "SELECT previous_score FROM guild_set_post_vote({}, {}, 1::smallint, NULL)",
                post.id, bob.id
            ),
        ),
        (
            "a comment",
            format!(
                "SELECT guild_count_new_comment({}, '{{}}', now() + interval '1 minute')",
                post.id
            ),
        ),
    ] {
        exec(&mut conn, "BEGIN").await;
        // The counts can include earlier transactions not yet reported, so compare.
        let before = posts_updated_in_this_transaction(&mut conn).await;
        exec(&mut conn, &statement).await;
        let after = posts_updated_in_this_transaction(&mut conn).await;
        exec(&mut conn, "COMMIT").await;
        assert_eq!(
            after.updated - before.updated,
            1,
            "{what} updates its post once"
        );
        assert_eq!(
            after.in_place - before.in_place,
            1,
            "{what} updates its post in place"
        );
    }
    drop(conn);

    let counted = a.post_by_ap_id(&post.ap_id).await.expect("post");
    assert_eq!((counted.score, counted.comment_count), (1, 1));
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_at_once_and_listings_follow_at_the_fold() {
    let (a, ann, bob, maps) = instance_with_a_community().await;
    let older = a.create_post(&ann, &maps, "Older, then voted").await;
    let newer = a.create_post(&ann, &maps, "Newer").await;
    // A new post is ranked by its INSERT, not at the next fold.
    assert!(newer.hot_rank > 0.0, "a new post has a hot rank");

    vote(&a.data, &bob, &StoredObject::Post(older.clone()), 1)
        .await
        .expect("vote");
    create_comment(&a.data, &bob, &older, None, "Which projection?")
        .await
        .expect("comment");

    // The counters moved at once, and the post is either marked for the next fold or, if
    // the server's own fold ran meanwhile, folded already.
    let counted = a.post_by_ap_id(&older.ap_id).await.expect("post");
    assert_eq!((counted.score, counted.comment_count), (1, 1));
    let view = a.api(&format!("post?id={}", older.id)).await;
    assert_eq!(view["post_view"]["counts"]["score"], 1);
    assert_eq!(view["post_view"]["counts"]["comments"], 1);
    let mut conn = a.conn().await;
    assert!(
        is_marked(&mut conn, &older).await
            || (counted.sort_score, counted.sort_comment_count) == (1, 1),
        "a post whose counters moved is marked until it is folded"
    );

    guild::db::posts::fold_counts(&mut conn)
        .await
        .expect("fold");
    drop(conn);
    let folded = a.post_by_ap_id(&older.ap_id).await.expect("post");
    assert_eq!((folded.sort_score, folded.sort_comment_count), (1, 1));
    assert!(
        folded.active_rank > older.active_rank,
        "a comment raises activity"
    );
    assert_eq!(a.count_rows("posts_to_rank").await, 0);
    assert_eq!(top_titles(&a).await, ["Older, then voted", "Newer"]);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_folds_on_its_own() {
    let (a, ann, bob, maps) = instance_with_a_community().await;
    let older = a.create_post(&ann, &maps, "Older, then voted").await;
    a.create_post(&ann, &maps, "Newer").await;
    assert_eq!(top_titles(&a).await, ["Newer", "Older, then voted"]);

    vote(&a.data, &bob, &StoredObject::Post(older), 1)
        .await
        .expect("vote");
    eventually("the vote to reach the top listing", || async {
        let top = top_titles(&a).await.into_iter().next();
        (top.as_deref() == Some("Older, then voted")).then_some(())
    })
    .await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fold_passes_over_a_post_held_by_a_write_and_takes_it_next_time() {
    let (a, ann, _, maps) = instance_with_a_community().await;
    let busy = a.create_post(&ann, &maps, "Busy").await;
    // More quiet posts after the busy one than a fold takes in one call.
    let mut quiet = Vec::new();
    for n in 0..25 {
        quiet.push(a.create_post(&ann, &maps, &format!("Quiet {n}")).await);
    }
    let quiet_ids: Vec<String> = quiet.iter().map(|p| p.id.to_string()).collect();

    // A write in progress holds the busy post's row, as a vote batch does, while the post
    // is marked; the quiet posts' scores move, which marks them. (The server's own fold
    // may run at any moment in between; it meets the same lock.)
    let mut writer = a.conn().await;
    exec(&mut writer, "BEGIN").await;
    let lock = format!("SELECT id FROM posts WHERE id = {} FOR UPDATE", busy.id);
    exec(&mut writer, &lock).await;
    let mut conn = a.conn().await;
    let mark = format!("INSERT INTO posts_to_rank (post_id) VALUES ({})", busy.id);
    exec(&mut conn, &mark).await;
    let score = format!(
        "UPDATE posts SET score = 1 WHERE id IN ({})",
        quiet_ids.join(", ")
    );
    exec(&mut conn, &score).await;

    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        guild::db::posts::fold_counts(&mut conn),
    )
    .await
    .expect("the fold does not wait for the write")
    .expect("fold");
    for post in &quiet {
        let now = a.post_by_ap_id(&post.ap_id).await.expect("post");
        assert_eq!(now.sort_score, 1, "{} is folded", now.title);
    }
    assert!(
        is_marked(&mut conn, &busy).await,
        "the held post stays marked"
    );

    exec(&mut writer, "COMMIT").await;
    guild::db::posts::fold_counts(&mut conn)
        .await
        .expect("fold");
    assert_eq!(a.count_rows("posts_to_rank").await, 0);
    drop((writer, conn));
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rank_refresh_passes_over_a_post_held_by_a_write() {
    let (a, ann, _, maps) = instance_with_a_community().await;
    let mut posts = Vec::new();
    for n in 0..3 {
        posts.push(a.create_post(&ann, &maps, &format!("Recent {n}")).await);
    }
    let held = &posts[0];
    let mut conn = a.conn().await;
    // Ranks gone stale, as they are ten minutes later.
    exec(&mut conn, "UPDATE posts SET hot_rank = 0, active_rank = 0").await;

    let mut writer = a.conn().await;
    exec(&mut writer, "BEGIN").await;
    let lock = format!("SELECT id FROM posts WHERE id = {} FOR UPDATE", held.id);
    exec(&mut writer, &lock).await;
    let refreshed = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        guild::db::posts::refresh_ranks(&mut conn),
    )
    .await
    .expect("the refresh does not wait for the write")
    .expect("refresh");
    assert_eq!(refreshed, 2);
    for post in &posts {
        let now = a.post_by_ap_id(&post.ap_id).await.expect("post");
        assert_eq!(
            now.hot_rank > 0.0,
            post.id != held.id,
            "{} is refreshed unless held",
            now.title
        );
    }

    exec(&mut writer, "COMMIT").await;
    guild::db::posts::refresh_ranks(&mut conn)
        .await
        .expect("refresh");
    let now = a.post_by_ap_id(&held.ap_id).await.expect("post");
    assert!(now.hot_rank > 0.0, "the held post is refreshed next time");
    drop((writer, conn));
    a.stop().await;
}
