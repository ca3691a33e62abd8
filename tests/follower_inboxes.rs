//! Where a community relays to: one inbox per remote follower instance, kept on the follows
//! themselves (migration 000020). The list must follow the follows, and the followers' own
//! inboxes when a peer moves them.

mod common;

use chrono::Utc;
use common::TestInstance;
use guild::db::{
    self, Connection,
    models::{Person, PersonForm},
};

/// Stores (or refreshes) a person of `domain`, with `shared_inbox` when given.
async fn remote_person(
    conn: &mut Connection,
    domain: &str,
    name: &str,
    shared_inbox: Option<&str>,
) -> Person {
    let instance = db::instances::get_or_create(conn, domain)
        .await
        .expect("instance");
    let form = PersonForm {
        ap_id: format!("https://{domain}/users/{name}"),
        instance_id: instance.id,
        local: false,
        actor_type: "Person".into(),
        name: name.into(),
        display_name: None,
        bio_source: None,
        bio_html: None,
        profile_url: None,
        avatar_url: None,
        banner_url: None,
        inbox_url: format!("https://{domain}/users/{name}/inbox"),
        shared_inbox_url: shared_inbox.map(str::to_owned),
        outbox_url: None,
        followers_url: None,
        public_key: "not read here".into(),
        private_key: None,
        published_at: Utc::now(),
        updated_at: None,
        last_refreshed_at: Utc::now(),
    };
    db::people::upsert_remote(conn, &form)
        .await
        .expect("stored")
        .expect("a remote person")
}

fn inbox(domain: &str, url: &str) -> (String, String) {
    (domain.to_owned(), url.to_owned())
}

async fn sorted_inboxes(conn: &mut Connection, community_id: i64) -> Vec<(String, String)> {
    let mut inboxes = db::follows::follower_inboxes(conn, community_id)
        .await
        .expect("inboxes");
    inboxes.sort();
    inboxes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_relays_to_each_follower_instance_as_its_follows_and_inboxes_change() {
    let a = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    let practice = a
        .create_community("practice", "Mapping practice", Some(&ann))
        .await;
    let mut conn = a.conn().await;
    let shared = "https://peer.example/inbox";
    let kim = remote_person(&mut conn, "peer.example", "kim", Some(shared)).await;
    let lee = remote_person(&mut conn, "peer.example", "lee", Some(shared)).await;
    let ola = remote_person(&mut conn, "other.example", "ola", None).await;
    for (person, pending) in [(&kim, false), (&lee, false), (&ola, true), (&ann, false)] {
        db::follows::upsert(&mut conn, practice.id, person.id, pending, None)
            .await
            .expect("follow");
    }
    // A local follower gets nothing delivered; a pending follow is not a follower yet.
    assert_eq!(
        sorted_inboxes(&mut conn, practice.id).await,
        vec![inbox("peer.example", shared)]
    );

    db::follows::accept(&mut conn, practice.id, ola.id)
        .await
        .expect("accept");
    let ola_inbox = "https://other.example/users/ola/inbox";
    assert_eq!(
        sorted_inboxes(&mut conn, practice.id).await,
        vec![
            inbox("other.example", ola_inbox),
            inbox("peer.example", shared)
        ]
    );

    // The peer moved its shared inbox: the relays follow both of its people there.
    let moved = "https://peer.example/shared-inbox";
    remote_person(&mut conn, "peer.example", "kim", Some(moved)).await;
    assert_eq!(
        sorted_inboxes(&mut conn, practice.id).await,
        vec![
            inbox("other.example", ola_inbox),
            inbox("peer.example", shared),
            inbox("peer.example", moved)
        ],
        "lee still names the old one"
    );
    remote_person(&mut conn, "peer.example", "lee", Some(moved)).await;
    assert_eq!(
        sorted_inboxes(&mut conn, practice.id).await,
        vec![
            inbox("other.example", ola_inbox),
            inbox("peer.example", moved)
        ]
    );

    // An unfollow and a purge take their inboxes away.
    db::follows::delete(&mut conn, practice.id, kim.id)
        .await
        .expect("unfollow");
    db::moderation::purge_person(&mut conn, ola.id)
        .await
        .expect("purge");
    assert_eq!(
        sorted_inboxes(&mut conn, practice.id).await,
        vec![inbox("peer.example", moved)]
    );
    drop(conn);
    a.stop().await;
}
