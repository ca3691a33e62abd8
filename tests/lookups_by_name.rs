//! Local people and communities are looked up by name through the partial unique indexes
//! on `lower(name) WHERE local`. A generic plan (one PostgreSQL keeps for a prepared
//! statement rather than planning it again at each run) can only use such an index when
//! the query says `local` itself, not `local = $1`; otherwise it scans the whole table,
//! which took 94–135 ms a lookup on the large bench database (docs/performance.md, 18).

mod common;

use common::{TestInstance, exec, index_scans};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_by_name_use_the_local_name_indexes_with_a_generic_plan() {
    let a = TestInstance::start().await;
    a.create_user("ann").await;
    a.create_community("maps", "Maps", None).await;
    let mut conn = a.conn().await;

    exec(&mut conn, "BEGIN").await;
    // A generic plan for every statement, and a table scan only where nothing else can
    // answer: the tables are tiny here, and would be scanned whatever the query said.
    exec(&mut conn, "SET LOCAL plan_cache_mode = force_generic_plan").await;
    exec(&mut conn, "SET LOCAL enable_seqscan = off").await;

    let before = index_scans(&mut conn, "communities_local_name_key").await;
    let maps = guild::db::communities::local_by_name(&mut conn, "MAPS")
        .await
        .expect("lookup");
    assert_eq!(maps.map(|c| c.name), Some("maps".to_string()));
    let after = index_scans(&mut conn, "communities_local_name_key").await;
    assert!(after > before, "the community is found by its index");

    let before = index_scans(&mut conn, "people_local_name_key").await;
    let ann = guild::db::people::local_by_name(&mut conn, "Ann")
        .await
        .expect("lookup");
    assert_eq!(ann.map(|p| p.name), Some("ann".to_string()));
    let after = index_scans(&mut conn, "people_local_name_key").await;
    assert!(after > before, "the person is found by its index");
    exec(&mut conn, "COMMIT").await;
}
