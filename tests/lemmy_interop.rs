//! By hand, against a real Lemmy 0.19 running on this machine; not part of `cargo test`.
//!
//! Lemmy files peers by host name without the port and never delivers to its own host, so
//! Guild runs under its own name (`guild.local`, which must resolve to 127.0.0.1, e.g. an
//! `/etc/hosts` line). Start a Lemmy debug build with `LEMMY_TEST_FAST_FEDERATION=1`, an
//! admin account, and a community `lemmycheck`, then:
//!
//! ```sh
//! LEMMY_URL=http://lemmy.local:8536 LEMMY_USER=lemmyadmin LEMMY_PASSWORD=… \
//!   cargo test --test lemmy_interop -- --ignored --nocapture
//! ```
//!
//! It prints what crossed in each direction and fails at the first thing that did not.

mod common;

use common::{TestInstance, eventually};
use guild::service::{
    comments::create_comment,
    posts::{PostInput, create_post, delete_post, edit_post},
};
use serde_json::{Value, json};

struct Lemmy {
    url: String,
    jwt: String,
}

impl Lemmy {
    async fn login() -> Lemmy {
        let url = std::env::var("LEMMY_URL").expect("LEMMY_URL");
        let user = std::env::var("LEMMY_USER").expect("LEMMY_USER");
        let password = std::env::var("LEMMY_PASSWORD").expect("LEMMY_PASSWORD");
        let login: Value = common::http()
            .post(format!("{url}/api/v3/user/login"))
            .json(&json!({ "username_or_email": user, "password": password }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("JSON");
        let jwt = login["jwt"].as_str().expect("a jwt").to_string();
        Lemmy { url, jwt }
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Value {
        let url = url::Url::parse_with_params(&format!("{}/api/v3/{path}", self.url), query)
            .expect("URL");
        common::http()
            .get(url.as_str())
            .bearer_auth(&self.jwt)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = common::http()
            .post(format!("{}/api/v3/{path}", self.url))
            .bearer_auth(&self.jwt)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "Lemmy {path}: {status} {body}");
        body
    }

    async fn posts(&self, community_id: i64) -> Vec<Value> {
        self.get(
            "post/list",
            &[
                ("community_id", community_id.to_string()),
                ("sort", "New".into()),
            ],
        )
        .await["posts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn comments(&self, post_id: i64) -> Vec<Value> {
        self.get(
            "comment/list",
            &[("post_id", post_id.to_string()), ("type_", "All".into())],
        )
        .await["comments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a running Lemmy; see the module documentation"]
async fn guild_and_lemmy_federate() {
    let lemmy = Lemmy::login().await;
    let lemmy_host = lemmy
        .url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string();
    let guild = TestInstance::start_named("guild.local").await;
    let gina = guild.create_user("gina").await;
    let community = guild
        .create_community("guildcheck", "Guild check", Some(&gina))
        .await;

    // Lemmy follows a Guild community.
    let resolved = lemmy
        .get(
            "resolve_object",
            &[("q", format!("!guildcheck@{}", guild.domain))],
        )
        .await;
    let lemmy_community_id = resolved["community"]["community"]["id"]
        .as_i64()
        .expect("Lemmy resolved the Group");
    println!(
        "Lemmy resolved !guildcheck@{} as its community {lemmy_community_id}",
        guild.domain
    );
    // Lemmy's sender starts serving a newly seen instance from its newest activity on, a few
    // seconds after first seeing it; an activity queued before that is never sent.
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    lemmy
        .post(
            "community/follow",
            json!({ "community_id": lemmy_community_id, "follow": true }),
        )
        .await;
    eventually("Lemmy's follow to be accepted", || async {
        let view = lemmy
            .get("community", &[("id", lemmy_community_id.to_string())])
            .await;
        (view["community_view"]["subscribed"] == "Subscribed").then_some(())
    })
    .await;
    println!("Lemmy → Guild: Follow; Guild → Lemmy: Accept (Lemmy shows Subscribed)");

    // A Guild post and comment reach Lemmy.
    let post = create_post(
        &guild.data,
        &gina,
        &community,
        PostInput {
            title: "Hello from Guild".into(),
            body: Some("A **bold** start.".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post");
    let lemmy_post = eventually("the Guild post on Lemmy", || async {
        lemmy
            .posts(lemmy_community_id)
            .await
            .into_iter()
            .find(|p| p["post"]["ap_id"] == post.ap_id)
    })
    .await;
    let lemmy_post_id = lemmy_post["post"]["id"].as_i64().expect("id");
    println!(
        "Guild → Lemmy: Announce{{Create{{Page}}}}: {:?} / {:?}",
        lemmy_post["post"]["name"], lemmy_post["post"]["body"]
    );
    create_comment(
        &guild.data,
        &gina,
        &post,
        None,
        "First comment, from Guild.",
    )
    .await
    .expect("comment");
    eventually("the Guild comment on Lemmy", || async {
        (lemmy.comments(lemmy_post_id).await.len() == 1).then_some(())
    })
    .await;
    println!("Guild → Lemmy: Announce{{Create{{Note}}}}");

    // Lemmy comments and votes on it.
    lemmy
        .post(
            "comment",
            json!({ "post_id": lemmy_post_id, "content": "A reply from Lemmy." }),
        )
        .await;
    eventually("Lemmy's comment on Guild", || async {
        let comments = guild
            .api(&format!("comment/list?post_id={}", post.id))
            .await;
        (comments["comments"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;
    println!("Lemmy → Guild: Create{{Note}} into the community");
    lemmy
        .post("post/like", json!({ "post_id": lemmy_post_id, "score": 1 }))
        .await;
    eventually("Lemmy's vote on Guild", || async {
        (guild.post_by_ap_id(&post.ap_id).await?.score == 1).then_some(())
    })
    .await;
    println!("Lemmy → Guild: Like");

    // Guild follows a Lemmy community, posts and comments there.
    let handle = format!("lemmycheck@{lemmy_host}");
    let remote = guild.resolve_community(&handle).await;
    guild.follow_and_wait(&gina, &remote).await;
    println!("Guild → Lemmy: Follow; Lemmy → Guild: Accept");
    let remote_id = lemmy
        .get("community", &[("name", "lemmycheck".to_string())])
        .await["community_view"]["community"]["id"]
        .as_i64()
        .expect("lemmycheck on Lemmy");
    let guild_post = create_post(
        &guild.data,
        &gina,
        &remote,
        PostInput {
            title: "Guild posting into Lemmy".into(),
            body: Some("Hello, Lemmy.".into()),
            ..Default::default()
        },
    )
    .await
    .expect("post in the Lemmy community");
    let on_lemmy = eventually("the Guild post in the Lemmy community", || async {
        lemmy
            .posts(remote_id)
            .await
            .into_iter()
            .find(|p| p["post"]["ap_id"] == guild_post.ap_id)
    })
    .await;
    println!(
        "Guild → Lemmy: Create{{Page}} into lemmycheck, stored as Lemmy post {}",
        on_lemmy["post"]["id"]
    );
    create_comment(&guild.data, &gina, &guild_post, None, "And a comment.")
        .await
        .expect("comment");
    let on_lemmy_id = on_lemmy["post"]["id"].as_i64().expect("id");
    eventually("the Guild comment in the Lemmy community", || async {
        (lemmy.comments(on_lemmy_id).await.len() == 1).then_some(())
    })
    .await;
    println!("Guild → Lemmy: Create{{Note}} into lemmycheck");

    // Lemmy's own post in its community reaches Guild through the Announce.
    let lemmy_own = lemmy
        .post(
            "post",
            json!({ "community_id": remote_id, "name": "Lemmy's own post", "body": "From Lemmy." }),
        )
        .await;
    let lemmy_own_ap_id = lemmy_own["post_view"]["post"]["ap_id"]
        .as_str()
        .expect("ap_id")
        .to_string();
    eventually("Lemmy's post on Guild", || async {
        guild.post_by_ap_id(&lemmy_own_ap_id).await
    })
    .await;
    println!("Lemmy → Guild: Announce{{Create{{Page}}}} of a Lemmy post");
    lemmy
        .post("post/like", json!({ "post_id": on_lemmy_id, "score": -1 }))
        .await;
    eventually("Lemmy's downvote relayed to Guild", || async {
        (guild.post_by_ap_id(&guild_post.ap_id).await?.downvotes == 1).then_some(())
    })
    .await;
    println!("Lemmy → Guild: Announce{{Dislike}}");

    // Edit and delete from Guild.
    let guild_post = guild.post_by_ap_id(&guild_post.ap_id).await.expect("post");
    let edited = edit_post(
        &guild.data,
        &gina,
        &guild_post,
        PostInput {
            title: "Guild posting into Lemmy (edited)".into(),
            body: Some("Edited.".into()),
            ..Default::default()
        },
    )
    .await
    .expect("edit");
    eventually("the edit on Lemmy", || async {
        let posts = lemmy.posts(remote_id).await;
        posts
            .iter()
            .any(|p| p["post"]["name"] == "Guild posting into Lemmy (edited)")
            .then_some(())
    })
    .await;
    println!("Guild → Lemmy: Update{{Page}}");
    delete_post(&guild.data, &gina, &edited, true)
        .await
        .expect("delete");
    eventually("the deletion on Lemmy", || async {
        let view = lemmy.get("post", &[("id", on_lemmy_id.to_string())]).await;
        (view["post_view"]["post"]["deleted"] == true).then_some(())
    })
    .await;
    println!("Guild → Lemmy: Delete");
    guild.stop().await;
}
