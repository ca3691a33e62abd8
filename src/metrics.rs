//! Prometheus metrics, served at `/metrics`: what the inbox took and refused, what the
//! delivery worker sent, and (read from the database at each scrape) the backlog per peer.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatementLabel {
    pub statement: String,
}

type BatchSizes = Family<StatementLabel, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InstanceLabel {
    pub instance: String,
}

pub struct Metrics {
    registry: Registry,
    /// Inbox POSTs by outcome (processed, duplicate, ignored, or the refusal's status).
    pub inbox: Family<OutcomeLabel, Counter>,
    /// Delivery attempts by outcome (delivered, refused, failed, given_up).
    pub deliveries: Family<OutcomeLabel, Counter>,
    /// How long delivery attempts took.
    pub delivery_seconds: Histogram,
    /// Pending deliveries per peer, refreshed at each scrape.
    pub backlog: Family<InstanceLabel, Gauge>,
    /// Age of the oldest pending delivery per peer, refreshed at each scrape.
    pub oldest_pending_seconds: Family<InstanceLabel, Gauge>,
    /// Requests carried by each run of a batched inbox statement (`db::batch`): its count
    /// is the statements run, its sum the requests answered.
    pub inbox_batch_sizes: BatchSizes,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("guild");
        let inbox = Family::<OutcomeLabel, Counter>::default();
        let deliveries = Family::<OutcomeLabel, Counter>::default();
        let delivery_seconds = Histogram::new([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);
        let backlog = Family::<InstanceLabel, Gauge>::default();
        let oldest_pending_seconds = Family::<InstanceLabel, Gauge>::default();
        let inbox_batch_sizes: BatchSizes = Family::new_with_constructor(|| {
            Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0])
        });
        registry.register("inbox_activities", "Inbox POSTs by outcome", inbox.clone());
        registry.register(
            "delivery_attempts",
            "Delivery attempts by outcome",
            deliveries.clone(),
        );
        registry.register(
            "delivery_seconds",
            "Duration of delivery attempts",
            delivery_seconds.clone(),
        );
        registry.register(
            "delivery_backlog",
            "Pending deliveries per peer",
            backlog.clone(),
        );
        registry.register(
            "delivery_oldest_pending_seconds",
            "Age of the oldest pending delivery per peer",
            oldest_pending_seconds.clone(),
        );
        registry.register(
            "inbox_batch_size",
            "Requests carried by each run of a batched inbox statement",
            inbox_batch_sizes.clone(),
        );
        Metrics {
            registry,
            inbox,
            deliveries,
            delivery_seconds,
            backlog,
            oldest_pending_seconds,
            inbox_batch_sizes,
        }
    }
}

impl Metrics {
    pub fn count_inbox(&self, outcome: &str) {
        self.inbox
            .get_or_create(&OutcomeLabel {
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn count_delivery(&self, outcome: &str) {
        self.deliveries
            .get_or_create(&OutcomeLabel {
                outcome: outcome.into(),
            })
            .inc();
    }

    /// The histogram of requests per run of the batched inbox statement `statement`.
    pub fn inbox_batch_size(&self, statement: &str) -> Histogram {
        self.inbox_batch_sizes
            .get_or_create(&StatementLabel {
                statement: statement.into(),
            })
            .clone()
    }

    /// The registry in Prometheus' text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
