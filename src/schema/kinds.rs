//! Built-in resource kinds: their API group and version, REST name (plural),
//! scope, short names, categories and subresources, as a Kubernetes 1.33 API
//! server reports them in discovery.

/// A built-in resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group; empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The REST name, e.g. `deployments`.
    pub plural: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Has a `/status` subresource.
    pub status: bool,
    /// Has a `/scale` subresource (its replicas live at `spec.replicas`).
    pub scale: bool,
}

impl Resource {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// The lower-case singular name, e.g. `deployment`.
    pub fn singular(&self) -> String {
        self.kind.to_ascii_lowercase()
    }
}

const NS: bool = true;
const CLUSTER: bool = false;
const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

macro_rules! r {
    ($g:expr, $v:expr, $kind:expr, $plural:expr, $scope:expr, $short:expr, $cat:expr, $status:expr, $scale:expr) => {
        Resource {
            group: $g,
            version: $v,
            kind: $kind,
            plural: $plural,
            namespaced: $scope,
            short_names: $short,
            categories: $cat,
            status: $status,
            scale: $scale,
        }
    };
}

/// Every built-in resource the emulator serves.
pub const BUILTIN: &[Resource] = &[
    r!("", "v1", "Namespace", "namespaces", CLUSTER, &["ns"], NONE, true, false),
    r!("", "v1", "ConfigMap", "configmaps", NS, &["cm"], NONE, false, false),
    r!("", "v1", "Secret", "secrets", NS, NONE, NONE, false, false),
    r!("", "v1", "Service", "services", NS, &["svc"], ALL, true, false),
    r!("", "v1", "ServiceAccount", "serviceaccounts", NS, &["sa"], NONE, false, false),
    r!("", "v1", "Pod", "pods", NS, &["po"], ALL, true, false),
    r!("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", NS, &["pvc"], NONE, true, false),
    r!("", "v1", "PersistentVolume", "persistentvolumes", CLUSTER, &["pv"], NONE, true, false),
    r!("", "v1", "Event", "events", NS, &["ev"], NONE, false, false),
    r!("", "v1", "LimitRange", "limitranges", NS, &["limits"], NONE, false, false),
    r!("", "v1", "ResourceQuota", "resourcequotas", NS, &["quota"], NONE, true, false),
    r!("", "v1", "Endpoints", "endpoints", NS, &["ep"], NONE, false, false),
    r!("", "v1", "Node", "nodes", CLUSTER, &["no"], NONE, true, false),
    r!("", "v1", "ReplicationController", "replicationcontrollers", NS, &["rc"], ALL, true, true),
    r!("", "v1", "PodTemplate", "podtemplates", NS, NONE, NONE, false, false),
    r!("apps", "v1", "Deployment", "deployments", NS, &["deploy"], ALL, true, true),
    r!("apps", "v1", "StatefulSet", "statefulsets", NS, &["sts"], ALL, true, true),
    r!("apps", "v1", "DaemonSet", "daemonsets", NS, &["ds"], ALL, true, false),
    r!("apps", "v1", "ReplicaSet", "replicasets", NS, &["rs"], ALL, true, true),
    r!("apps", "v1", "ControllerRevision", "controllerrevisions", NS, NONE, NONE, false, false),
    r!("batch", "v1", "Job", "jobs", NS, NONE, ALL, true, false),
    r!("batch", "v1", "CronJob", "cronjobs", NS, &["cj"], ALL, true, false),
    r!("rbac.authorization.k8s.io", "v1", "Role", "roles", NS, NONE, NONE, false, false),
    r!("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", NS, NONE, NONE, false, false),
    r!("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", CLUSTER, NONE, NONE, false, false),
    r!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        CLUSTER,
        NONE,
        NONE,
        false,
        false
    ),
    r!("networking.k8s.io", "v1", "Ingress", "ingresses", NS, &["ing"], NONE, true, false),
    r!("networking.k8s.io", "v1", "IngressClass", "ingressclasses", CLUSTER, NONE, NONE, false, false),
    r!("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", NS, &["netpol"], NONE, false, false),
    r!("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", NS, &["pdb"], NONE, true, false),
    r!("coordination.k8s.io", "v1", "Lease", "leases", NS, NONE, NONE, false, false),
    r!("storage.k8s.io", "v1", "StorageClass", "storageclasses", CLUSTER, &["sc"], NONE, false, false),
    r!("storage.k8s.io", "v1", "CSIDriver", "csidrivers", CLUSTER, NONE, NONE, false, false),
    r!("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", CLUSTER, NONE, NONE, true, false),
    r!("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", NS, &["hpa"], ALL, true, false),
    r!(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        CLUSTER,
        NONE,
        &["api-extensions"],
        false,
        false
    ),
    r!(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        CLUSTER,
        NONE,
        &["api-extensions"],
        false,
        false
    ),
    r!(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        CLUSTER,
        NONE,
        &["api-extensions"],
        true,
        false
    ),
    r!(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        CLUSTER,
        NONE,
        &["api-extensions"],
        false,
        false
    ),
    r!(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        CLUSTER,
        &["crd", "crds"],
        &["api-extensions"],
        true,
        false
    ),
    r!("apiregistration.k8s.io", "v1", "APIService", "apiservices", CLUSTER, NONE, &["api-extensions"], true, false),
    r!("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", CLUSTER, &["pc"], NONE, false, false),
    r!("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", CLUSTER, NONE, NONE, false, false),
    r!("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", NS, NONE, NONE, false, false),
];

/// The built-in resource of a kind in an API group.
pub fn by_kind(group: &str, kind: &str) -> Option<&'static Resource> {
    BUILTIN.iter().find(|r| r.group == group && r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::Schema;

    #[test]
    fn every_builtin_has_a_schema() {
        for r in BUILTIN {
            assert!(Schema::builtin(&r.api_version(), r.kind).is_some(), "{} {}", r.api_version(), r.kind);
        }
    }

    #[test]
    fn scopes() {
        assert!(!by_kind("", "Namespace").unwrap().namespaced);
        assert!(by_kind("apps", "Deployment").unwrap().namespaced);
        assert!(by_kind("apps", "Deployment").unwrap().scale);
        assert_eq!(by_kind("", "ConfigMap").unwrap().api_version(), "v1");
    }
}
