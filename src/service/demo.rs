//! Example content for a new instance (`guild demo`, `guild serve --demo`): communities of
//! practice with a few people, posts and comments, so a fresh instance looks alive.

use super::{
    ServiceError, ServiceResult,
    accounts::{self, NewAccount},
    comments, communities,
    communities::NewCommunity,
    posts::{self, PostInput},
};
use crate::{context::Context, db};
use activitypub_federation::config::Data;

/// Who writes the example content: (name, display name, bio).
const PEOPLE: [(&str, &str, &str); 4] = [
    (
        "ada",
        "Ada Okafor",
        "Facilitator and writer. Likes maps more than meetings.",
    ),
    (
        "ben",
        "Ben Larsson",
        "Event planner; volunteers at the local library.",
    ),
    (
        "chidi",
        "Chidi Mensah",
        "GIS analyst. Ask me about projections.",
    ),
    (
        "dora",
        "Dora Kim",
        "Speaks in public so others don't have to (yet).",
    ),
];

/// (name, title, topic, description, [(title, body, [comments])]).
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static [&'static str])],
);

const COMMUNITIES: [Seed; 9] = [
    (
        "writing",
        "Writing",
        "Communication",
        "For people who write at work and for themselves: drafts, feedback, habits.\n\n**Rules:** critique the text, not the writer.",
        &[
            (
                "How do you get past the blank page?",
                "I start with the *ugliest possible first sentence* and fix it later. What works for you?",
                &[
                    "Dictating into my phone while walking.",
                    "Writing the conclusion first, then arguing towards it.",
                ],
            ),
            (
                "Share a paragraph you rewrote five times",
                "Post the before and after. Let's learn from the edits.",
                &["Here's mine: I cut it from 90 words to 31."],
            ),
        ],
    ),
    (
        "leadership",
        "Leadership",
        "Leadership",
        "Leading teams, projects and volunteers. Questions from first-time leads are especially welcome.",
        &[(
            "First week as a team lead: what would you do?",
            "I start on Monday. Five people, two of them were my peers.",
            &[
                "Have a one-to-one with everyone before changing anything.",
                "Ask each person what they'd stop doing if they could.",
            ],
        )],
    ),
    (
        "mapping",
        "Mapping & GIS",
        "Data & maps",
        "Cartography, spatial analysis, open data and the tools around them.",
        &[
            (
                "Projections compared for a world map poster",
                "Mercator, Robinson or Equal Earth for a classroom poster?",
                &["Equal Earth: honest areas and it still looks familiar."],
            ),
            (
                "Open datasets you rely on",
                "OpenStreetMap extracts, Natural Earth… what else?",
                &[],
            ),
        ],
    ),
    (
        "public_speaking",
        "Public Speaking",
        "Communication",
        "Talks, presentations and the nerves before them.",
        &[(
            "Opening lines that worked",
            "Mine: a question the audience can answer by raising hands.",
            &["A short story about a mistake I made. People lean in."],
        )],
    ),
    (
        "event_planning",
        "Event Planning",
        "Events",
        "Meetups, conferences and community events: venues, budgets, accessibility.",
        &[(
            "Checklist for an accessible meetup",
            "Step-free access, captions, quiet room, clear food labels. What's missing?",
            &["Send the agenda early so people can plan breaks."],
        )],
    ),
    (
        "facilitation",
        "Facilitation",
        "Leadership",
        "Running workshops and meetings where everyone gets heard.",
        &[],
    ),
    (
        "conflict_resolution",
        "Conflict Resolution",
        "Leadership",
        "Mediation and difficult conversations at work and in communities.",
        &[],
    ),
    (
        "volunteering",
        "Volunteering",
        "Civic life",
        "Can I help? Organising volunteers and finding where to lend a hand.",
        &[(
            "Where can a newcomer help this month?",
            "Reply with a task that takes under an hour.",
            &[],
        )],
    ),
    (
        "trend_analysis",
        "Trend Analysis",
        "Data & maps",
        "Reading signals in data and news without fooling ourselves.",
        &[],
    ),
];

/// What seeding created, for the command's output.
#[derive(Debug, Default)]
pub struct Seeded {
    pub communities: usize,
    pub posts: usize,
    pub comments: usize,
    /// The demo people's shared password, when they were created now.
    pub password: Option<String>,
}

/// Creates the example people, communities, posts and comments. Communities that exist
/// already are left alone, so running it twice does nothing the second time.
pub async fn seed(data: &Data<Context>, password: &str) -> ServiceResult<Seeded> {
    let mut seeded = Seeded::default();
    let mut people = Vec::new();
    for (name, display_name, bio) in PEOPLE {
        let mut conn = data.pool.get().await?;
        let existing = db::people::local_by_name(&mut conn, name).await?;
        drop(conn);
        let person = match existing {
            Some(person) => person,
            None => {
                seeded.password = Some(password.to_string());
                let person = accounts::create_account(
                    data,
                    NewAccount {
                        name: name.into(),
                        password: Some(password.into()),
                        is_admin: false,
                    },
                )
                .await?;
                accounts::update_profile(data, &person, Some(display_name), Some(bio)).await?
            }
        };
        people.push(person);
    }
    for (index, (name, title, topic, description, threads)) in COMMUNITIES.iter().enumerate() {
        let mut conn = data.pool.get().await?;
        if db::communities::local_by_name(&mut conn, name)
            .await?
            .is_some()
        {
            continue;
        }
        drop(conn);
        let moderator = &people[index % people.len()];
        let community = communities::create_community(
            data,
            NewCommunity {
                name: (*name).into(),
                title: (*title).into(),
                description: Some((*description).into()),
                moderator_id: Some(moderator.id),
                topic: Some((*topic).into()),
            },
        )
        .await?;
        seeded.communities += 1;
        for person in &people {
            super::follows::follow_community(data, person, &community).await?;
        }
        for (n, (post_title, body, replies)) in threads.iter().enumerate() {
            let author = &people[(index + n) % people.len()];
            let post = posts::create_post(
                data,
                author,
                &community,
                PostInput {
                    title: (*post_title).into(),
                    body: Some((*body).into()),
                    url: None,
                    sensitive: false,
                },
            )
            .await?;
            seeded.posts += 1;
            for (r, reply) in replies.iter().enumerate() {
                let replier = &people[(index + n + r + 1) % people.len()];
                comments::create_comment(data, replier, &post, None, reply).await?;
                seeded.comments += 1;
            }
        }
    }
    if seeded.communities == 0 && seeded.password.is_none() {
        return Err(ServiceError::Conflict(
            "the demo content is here already".into(),
        ));
    }
    Ok(seeded)
}
