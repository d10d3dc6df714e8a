//! The reconciler's Prometheus metrics, served at `/metrics` (OpenMetrics text).
//! Labels name sources and Kustomizations, never values from secrets.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    /// `namespace/name` of the GitRepository.
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `namespace/name` of the Kustomization.
    pub kustomization: String,
    /// `success` or the failure's reason (`BuildFailed`, `ReconciliationFailed`, ...).
    pub result: String,
}

/// Counters and gauges the reconciler updates.
pub struct Metrics {
    registry: Registry,
    /// Renders started (successful or not), all Kustomizations.
    pub renders: Counter,
    /// Applies started, all Kustomizations.
    pub applies: Counter,
    /// Reconciles finished, by Kustomization and result.
    pub reconciles: Family<ResultLabels, Counter>,
    /// Plans made (one per new revision of a source).
    pub plans: Family<SourceLabels, Counter>,
    /// Kustomizations a plan affected (summed over plans).
    pub planned_affected: Family<SourceLabels, Counter>,
    /// Kustomizations a plan skipped (summed over plans).
    pub planned_skipped: Family<SourceLabels, Counter>,
    /// Kustomizations of the source the last plan affected.
    pub last_plan_affected: Family<SourceLabels, Gauge>,
    /// Kustomizations of the source the last plan skipped.
    pub last_plan_skipped: Family<SourceLabels, Gauge>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let (renders, applies) = (Counter::default(), Counter::default());
        let reconciles = Family::default();
        let (plans, planned_affected, planned_skipped) = (Family::default(), Family::default(), Family::default());
        let (last_plan_affected, last_plan_skipped) = (Family::default(), Family::default());
        registry.register("driftless_renders", "Renders started", renders.clone());
        registry.register("driftless_applies", "Applies started", applies.clone());
        registry.register("driftless_reconciles", "Reconciles finished, by result", reconciles.clone());
        registry.register("driftless_plans", "Plans made, one per new revision of a source", plans.clone());
        registry.register(
            "driftless_plan_affected_kustomizations",
            "Kustomizations plans affected (they render and apply)",
            planned_affected.clone(),
        );
        registry.register(
            "driftless_plan_skipped_kustomizations",
            "Kustomizations plans skipped (nothing they read changed)",
            planned_skipped.clone(),
        );
        registry.register(
            "driftless_last_plan_affected",
            "Kustomizations the source's last plan affected",
            last_plan_affected.clone(),
        );
        registry.register(
            "driftless_last_plan_skipped",
            "Kustomizations the source's last plan skipped",
            last_plan_skipped.clone(),
        );
        Metrics {
            registry,
            renders,
            applies,
            reconciles,
            plans,
            planned_affected,
            planned_skipped,
            last_plan_affected,
            last_plan_skipped,
        }
    }

    /// Records one plan of `source`.
    pub fn planned(&self, source: &str, affected: usize, skipped: usize) {
        let labels = SourceLabels { source: source.to_string() };
        self.plans.get_or_create(&labels).inc();
        self.planned_affected.get_or_create(&labels).inc_by(affected as u64);
        self.planned_skipped.get_or_create(&labels).inc_by(skipped as u64);
        self.last_plan_affected.get_or_create(&labels).set(affected as i64);
        self.last_plan_skipped.get_or_create(&labels).set(skipped as i64);
    }

    /// Records the end of a reconcile: `None` on success, else the failure's reason.
    pub fn reconciled(&self, kustomization: &str, failure: Option<&str>) {
        let result = failure.unwrap_or("success").to_string();
        self.reconciles.get_or_create(&ResultLabels { kustomization: kustomization.to_string(), result }).inc();
    }

    /// Everything, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_appear_in_the_text_format() {
        let m = Metrics::new();
        m.renders.inc();
        m.planned("flux-system/fleet", 1, 999);
        m.reconciled("flux-system/app", Some("BuildFailed"));
        let text = m.encode();
        assert!(text.contains("driftless_renders_total 1\n"), "{text}");
        assert!(text.contains("driftless_applies_total 0\n"), "{text}");
        assert!(
            text.contains("driftless_plan_skipped_kustomizations_total{source=\"flux-system/fleet\"} 999"),
            "{text}"
        );
        assert!(text.contains("driftless_last_plan_affected{source=\"flux-system/fleet\"} 1"), "{text}");
        assert!(
            text.contains("driftless_reconciles_total{kustomization=\"flux-system/app\",result=\"BuildFailed\"} 1"),
            "{text}"
        );
    }
}
