//! The inbox's batched statements run on connections of their own that keep one generic
//! plan per statement (`db::batch_pool`) instead of planning it again at each run. A generic
//! plan knows nothing of the values, so each lookup must still find its rows by an index
//! with one; the server's other connections, and the statements inside our PL/pgSQL
//! functions, keep PostgreSQL's default choice (docs/performance.md, item 19).

mod common;

use common::{TestInstance, exec, index_scans};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::RunQueryDsl;
use guild::{db::batch::InboxBatches, service::comments::create_comment};
use prometheus_client::metrics::histogram::Histogram;

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    word: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    number: i64,
}

async fn word(conn: &mut guild::db::Connection, query: &str) -> String {
    diesel::sql_query(query)
        .get_result::<Word>(conn)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .word
}

async fn number(conn: &mut guild::db::Connection, query: &str) -> i64 {
    diesel::sql_query(query)
        .get_result::<Number>(conn)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .number
}

const PLAN_MODE: &str = "SELECT current_setting('plan_cache_mode') AS word";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_batch_connections_plan_generically() {
    let a = TestInstance::start().await;
    let batch_pool = guild::db::batch_pool(&a.database.url, 1).expect("batch pool");
    let mut batch_conn = batch_pool.get().await.expect("batch connection");
    assert_eq!(word(&mut batch_conn, PLAN_MODE).await, "force_generic_plan");
    let mut request_conn = a.conn().await;
    assert_eq!(word(&mut request_conn, PLAN_MODE).await, "auto");

    // Every PL/pgSQL function of ours plans its own statements in the default mode, even
    // when a batch connection calls it: a CREATE OR REPLACE that forgot the setting fails
    // here.
    let ours = "FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.proname LIKE 'guild\\_%' AND l.lanname = 'plpgsql'";
    let functions = number(
        &mut batch_conn,
        &format!("SELECT count(*) AS number {ours}"),
    )
    .await;
    assert!(functions >= 10, "our functions are found ({functions})");
    let without = word(
        &mut batch_conn,
        &format!(
            "SELECT coalesce(string_agg(p.proname, ', '), '') AS word {ours}
               AND NOT coalesce('plan_cache_mode=auto' = ANY (p.proconfig), false)"
        ),
    )
    .await;
    assert_eq!(without, "", "functions without plan_cache_mode = auto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_lookups_use_their_indexes_with_generic_plans() {
    let a = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let maps = a.create_community("maps", "Maps", Some(&ann)).await;
    let post = a.create_post(&ann, &maps, "Datums").await;
    let comment = create_comment(&a.data, &ann, &post, None, "Which one?")
        .await
        .expect("comment");

    // One connection, so every batch runs on it; a table scan only where nothing else can
    // answer (the tables are tiny); and a transaction left open on it, so that its own
    // statistics of the moment can be read afterwards, then thrown away.
    let pool = guild::db::batch_pool(&a.database.url, 1).expect("batch pool");
    {
        let mut conn = pool.get().await.expect("connection");
        exec(&mut conn, "SET enable_seqscan = off").await;
        exec(&mut conn, "BEGIN").await;
    }
    let batches = InboxBatches::new(&pool, |_| Histogram::new([1.0, 10.0]));

    let found = batches
        .local_community_by_name("MAPS")
        .await
        .expect("lookup");
    assert_eq!(found.map(|c| c.id), Some(maps.id));
    let found = batches.person_by_ap_id(&ann.ap_id).await.expect("lookup");
    assert_eq!(found.map(|p| p.id), Some(ann.id));
    let found = batches.post_by_ap_id(&post.ap_id).await.expect("lookup");
    assert_eq!(found.map(|p| p.id), Some(post.id));
    let found = batches.reply_target(&comment.ap_id).await.expect("lookup");
    assert_eq!(
        found.map(|(p, c)| (p.id, c.map(|c| c.id))),
        Some((post.id, Some(comment.id)))
    );
    let received = batches
        .was_received("https://elsewhere.example/activities/like/1")
        .await
        .expect("lookup");
    assert!(!received);

    let mut conn = pool.get().await.expect("connection");
    for index in [
        "communities_local_name_key",
        "people_ap_id_key",
        "posts_ap_id_key",
        "comments_ap_id_key",
        "received_activities_pkey",
    ] {
        assert!(
            index_scans(&mut conn, index).await > 0,
            "{index} was not used"
        );
    }
    // Each lookup was a prepared statement run with its generic plan, never a custom one.
    let generic = number(
        &mut conn,
        "SELECT count(*) AS number FROM pg_prepared_statements
          WHERE generic_plans > 0 AND custom_plans = 0",
    )
    .await;
    let custom = number(
        &mut conn,
        "SELECT count(*) AS number FROM pg_prepared_statements WHERE custom_plans > 0",
    )
    .await;
    assert!(generic >= 5, "{generic} statements ran with generic plans");
    assert_eq!(custom, 0, "statements ran with custom plans");
    exec(&mut conn, "ROLLBACK").await;
}
