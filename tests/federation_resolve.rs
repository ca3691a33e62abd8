//! Two instances find each other's actors through WebFinger and signed fetches, and
//! NodeInfo reports what an instance holds.

mod common;

use common::{TestInstance, get_activity_json, http, start_instances};
use guild::{
    db,
    federation::resolve::{ResolvedActor, resolve_actor},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_resolve_each_others_people_and_communities() {
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("B");
    let a = instances.pop().expect("A");

    let ann = a.create_user("ann").await;
    a.create_community("practice", "Writing practice", Some(&ann))
        .await;
    b.create_user("bob").await;

    // B resolves the community on A by its handle.
    let handle = format!("practice@{}", a.domain);
    let ResolvedActor::Community(group) = resolve_actor(&handle, &b.data).await.expect("resolved")
    else {
        panic!("{handle} resolved to a person");
    };
    let served = get_activity_json(&a.url("/c/practice")).await;
    assert_eq!(group.row.ap_id, a.url("/c/practice").as_str());
    assert!(!group.row.local);
    assert_eq!(group.row.title, "Writing practice");
    assert_eq!(group.row.inbox_url, a.url("/c/practice/inbox").as_str());
    assert_eq!(
        group.row.shared_inbox_url.as_deref(),
        Some(a.url("/inbox").as_str())
    );
    assert_eq!(
        Some(group.row.public_key.as_str()),
        served["publicKey"]["publicKeyPem"].as_str(),
        "B stored A's key for the community"
    );
    assert!(group.row.private_key.is_none());

    // It is in B's database, filed under A's instance (host with port).
    let mut conn = b.conn().await;
    let stored = db::communities::by_ap_id(&mut conn, &group.row.ap_id)
        .await
        .expect("query")
        .expect("stored on B");
    let instance = db::instances::by_domain(&mut conn, &a.domain)
        .await
        .expect("query")
        .expect("A is a known instance on B");
    assert_eq!(stored.instance_id, instance.id);
    drop(conn);

    // A resolves the person on B, both by handle and by URL.
    let ResolvedActor::Person(person) = resolve_actor(&format!("@bob@{}", b.domain), &a.data)
        .await
        .expect("resolved")
    else {
        panic!("bob resolved to a community");
    };
    let served = get_activity_json(&b.url("/u/bob")).await;
    assert_eq!(person.row.ap_id, b.url("/u/bob").as_str());
    assert_eq!(
        Some(person.row.public_key.as_str()),
        served["publicKey"]["publicKeyPem"].as_str()
    );
    let ResolvedActor::Person(again) = resolve_actor(b.url("/u/bob").as_str(), &a.data)
        .await
        .expect("resolved by URL")
    else {
        panic!("URL resolved to a community");
    };
    assert_eq!(again.row.id, person.row.id, "the stored copy is reused");

    // Unknown names are not found, and nothing is stored for them.
    let before = a.count_rows("people").await;
    assert!(
        resolve_actor(&format!("nobody@{}", b.domain), &a.data)
            .await
            .is_err()
    );
    assert_eq!(a.count_rows("people").await, before);

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodeinfo_counts_local_users_and_communities() {
    let a = TestInstance::start().await;
    let ann = a.create_user("ann").await;
    a.create_user("arlo").await;
    a.create_community("mapping", "Mapping & GIS", Some(&ann))
        .await;

    let links: serde_json::Value = http()
        .get(a.url("/.well-known/nodeinfo"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let href = links["links"][0]["href"].as_str().expect("a link");
    assert_eq!(href, a.url("/nodeinfo/2.1").as_str());
    assert_eq!(
        links["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );

    let nodeinfo: serde_json::Value = http()
        .get(href)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(nodeinfo["version"], "2.1");
    assert_eq!(nodeinfo["software"]["name"], "guild");
    assert_eq!(nodeinfo["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(nodeinfo["protocols"], serde_json::json!(["activitypub"]));
    assert_eq!(nodeinfo["openRegistrations"], true);
    assert_eq!(nodeinfo["usage"]["users"]["total"], 2);
    assert_eq!(nodeinfo["usage"]["localPosts"], 0);
    assert_eq!(nodeinfo["metadata"]["localCommunities"], 1);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_and_webfinger_documents() {
    let a = TestInstance::start().await;
    let ann = a.create_user("practice").await;
    a.create_community("practice", "Public speaking", Some(&ann))
        .await;

    // Person and community share a name: WebFinger lists both, each marked with its type.
    let webfinger: serde_json::Value = http()
        .get(a.url(&format!(
            "/.well-known/webfinger?resource=acct:practice@{}",
            a.domain
        )))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(webfinger["subject"], format!("acct:practice@{}", a.domain));
    let selves: Vec<(String, String)> = webfinger["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter(|l| l["rel"] == "self")
        .map(|l| {
            assert_eq!(l["type"], "application/activity+json");
            (
                l["href"].as_str().unwrap_or_default().to_string(),
                l["properties"]["https://www.w3.org/ns/activitystreams#type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        selves,
        vec![
            (a.url("/c/practice").to_string(), "Group".to_string()),
            (a.url("/u/practice").to_string(), "Person".to_string()),
        ]
    );

    // The Group document is complete, under both ActivityPub content types.
    for accept in [
        "application/activity+json",
        r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
    ] {
        let response = http()
            .get(a.url("/c/practice"))
            .header("Accept", accept)
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/activity+json"
        );
        let group: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(group["type"], "Group");
        assert_eq!(group["id"], a.url("/c/practice").as_str());
        assert_eq!(group["preferredUsername"], "practice");
        assert_eq!(group["name"], "Public speaking");
        assert!(
            group["summary"]
                .as_str()
                .is_some_and(|s| s.contains("community of practice"))
        );
        for (field, path) in [
            ("inbox", "/c/practice/inbox"),
            ("outbox", "/c/practice/outbox"),
            ("followers", "/c/practice/followers"),
            ("moderators", "/c/practice/moderators"),
            ("featured", "/c/practice/featured"),
        ] {
            assert_eq!(group[field], a.url(path).as_str(), "{field}");
        }
        assert_eq!(group["endpoints"]["sharedInbox"], a.url("/inbox").as_str());
        assert_eq!(
            group["publicKey"]["id"],
            format!("{}#main-key", a.url("/c/practice"))
        );
        assert_eq!(group["publicKey"]["owner"], a.url("/c/practice").as_str());
        assert!(
            group["publicKey"]["publicKeyPem"]
                .as_str()
                .is_some_and(|k| k.contains("BEGIN PUBLIC KEY"))
        );
        assert_eq!(group["postingRestrictedToMods"], false);
        assert!(group["published"].is_string());
    }

    // Its collections answer.
    let moderators = get_activity_json(&a.url("/c/practice/moderators")).await;
    assert_eq!(
        moderators["orderedItems"],
        serde_json::json!([a.url("/u/practice").as_str()])
    );
    let followers = get_activity_json(&a.url("/c/practice/followers")).await;
    assert_eq!(followers["totalItems"], 0);
    for collection in ["outbox", "featured"] {
        let document = get_activity_json(&a.url(&format!("/c/practice/{collection}"))).await;
        assert_eq!(document["type"], "OrderedCollection", "{collection}");
        assert_eq!(document["totalItems"], 0, "{collection}");
    }
    let outbox = get_activity_json(&a.url("/u/practice/outbox")).await;
    assert_eq!(outbox["type"], "OrderedCollection");

    // A browser gets a page.
    let page = http()
        .get(a.url("/c/practice"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("GET");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(page.text().await.expect("body").contains("Public speaking"));

    // Unknown names: 404 with a JSON error.
    for path in ["/c/nothing", "/u/nobody"] {
        let response = http()
            .get(a.url(path))
            .header("Accept", "application/activity+json")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.expect("JSON error");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let missing = http()
        .get(a.url(&format!(
            "/.well-known/webfinger?resource=acct:nobody@{}",
            a.domain
        )))
        .send()
        .await
        .expect("GET");
    assert_eq!(missing.status(), 404);

    // The instance actor signs our fetches; it is served too.
    let actor = get_activity_json(&a.url("/actor")).await;
    assert_eq!(actor["type"], "Application");
    assert!(actor["publicKey"]["publicKeyPem"].is_string());
    assert!(actor.get("privateKey").is_none());

    let host_meta = http()
        .get(a.url("/.well-known/host-meta"))
        .send()
        .await
        .expect("GET");
    assert!(
        host_meta
            .text()
            .await
            .expect("body")
            .contains("/.well-known/webfinger?resource={uri}")
    );
    a.stop().await;
}
