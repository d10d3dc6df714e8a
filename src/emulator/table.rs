//! Server-side printing: the `meta.k8s.io/v1` `Table` that `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`).
//!
//! kubectl prints exactly the columns and cells the server returns, so this module
//! mirrors what a Kubernetes 1.33 API server sends:
//!
//! - built-in kinds with a printer in `pkg/printers/internalversion` get its columns
//!   and cells. The server always generates the wide form; kubectl hides the
//!   columns of priority 1 unless `-o wide`;
//! - built-in kinds without a printer (Role, ClusterRole, LimitRange,
//!   CustomResourceDefinition, …) get the apiserver's default table: `Name` and
//!   `Created At` (an RFC 3339 timestamp);
//! - custom resources get `Name` plus the CRD's `additionalPrinterColumns`, or
//!   `Name` and `Age` when the CRD declares none (as `apiextensions-apiserver` does).
//!
//! Objects may miss any field: a missing field prints as the printer would print
//! the server's default for it, and nothing here panics.

use super::registry::{PrinterColumn, ResourceType};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// What a row's `object` holds (`includeObject` query parameter; kubectl's default is Metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    /// `"None"`, `"Metadata"` or `"Object"`; anything else (or nothing) is `Metadata`.
    pub fn parse(s: Option<&str>) -> IncludeObject {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Whether an Accept header asks for a Table: the most preferred media range the
/// emulator can answer (JSON, by `q` then by order) carries `as=Table`,
/// `g=meta.k8s.io` and `v=v1` or `v=v1beta1`. A plain `application/json` (or `*/*`)
/// ranked before any Table range means the client prefers the object itself.
pub fn wants_table(accept: &str) -> bool {
    struct Range {
        q: f64,
        media: String,
        as_: Option<String>,
        g: Option<String>,
        v: Option<String>,
    }
    let mut ranges: Vec<Range> = accept
        .split(',')
        .map(|clause| {
            let mut parts = clause.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut range = Range { q: 1.0, media, as_: None, g: None, v: None };
            for param in parts {
                let Some((k, v)) = param.split_once('=') else { continue };
                let v = v.trim().trim_matches('"').to_string();
                match k.trim().to_ascii_lowercase().as_str() {
                    "q" => range.q = v.parse().unwrap_or(1.0),
                    "as" => range.as_ = Some(v),
                    "g" => range.g = Some(v),
                    "v" => range.v = Some(v),
                    _ => {}
                }
            }
            range
        })
        .collect();
    // A stable sort keeps the client's order among ranges of equal quality.
    ranges.sort_by(|a, b| b.q.partial_cmp(&a.q).unwrap_or(std::cmp::Ordering::Equal));
    for r in ranges {
        if r.q <= 0.0 || !matches!(r.media.as_str(), "application/json" | "application/*" | "*/*") {
            continue;
        }
        match r.as_.as_deref() {
            None => return false,
            Some("Table")
                if r.g.as_deref() == Some("meta.k8s.io") && matches!(r.v.as_deref(), Some("v1" | "v1beta1")) =>
            {
                return true;
            }
            Some(_) => continue,
        }
    }
    false
}

/// A Table of `objects` (full JSON objects of type `rt`). `resource_version` goes in
/// `metadata.resourceVersion` (left out when empty); the caller adds `continue` and
/// `remainingItemCount` to `metadata` as in a list. `now` is the current time (for AGE cells).
pub fn table(
    rt: &ResourceType,
    objects: &[Value],
    resource_version: &str,
    include: IncludeObject,
    now: Timestamp,
) -> Value {
    let (columns, cells): (Vec<Value>, CellsFn<'_>) = if rt.crd.is_some() {
        custom_resource_printer(&rt.columns, now)
    } else if let Some((defs, row)) = builtin_printer(&rt.group, &rt.kind) {
        (defs.iter().map(ColumnDef::to_json).collect(), Box::new(move |o: &Value| row(o, now)))
    } else {
        (DEFAULT_COLUMNS.iter().map(ColumnDef::to_json).collect(), Box::new(default_row))
    };
    let is_pod = rt.crd.is_none() && rt.group.is_empty() && rt.kind == "Pod";
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(cells(obj)));
            if is_pod && let Some(conditions) = pod_row_conditions(obj) {
                row.insert("conditions".into(), conditions);
            }
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    let metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
                    row.insert(
                        "object".into(),
                        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}),
                    );
                }
                IncludeObject::Object => {
                    row.insert("object".into(), obj.clone());
                }
            }
            Value::Object(row)
        })
        .collect();
    let mut metadata = Map::new();
    if !resource_version.is_empty() {
        metadata.insert("resourceVersion".into(), json!(resource_version));
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

// ---------------------------------------------------------------------------
// Column definitions
// ---------------------------------------------------------------------------

/// One `TableColumnDefinition` of a built-in printer.
struct ColumnDef {
    name: &'static str,
    type_: &'static str,
    format: &'static str,
    description: &'static str,
    priority: i64,
}

impl ColumnDef {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// A column shown by default.
const fn c(name: &'static str, type_: &'static str, description: &'static str) -> ColumnDef {
    ColumnDef { name, type_, format: "", description, priority: 0 }
}

/// A column shown only with `-o wide` (priority 1).
const fn w(name: &'static str, type_: &'static str, description: &'static str) -> ColumnDef {
    ColumnDef { name, type_, format: "", description, priority: 1 }
}

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some \
resources may allow a client to request the generation of an appropriate name automatically. Name is primarily \
intended for creation idempotence and configuration definition. Cannot be updated. More info: \
https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const CREATED_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was \
created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set \
this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. \
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const CONTAINERS_DESC: &str = "Names of each container in the template.";
const IMAGES_DESC: &str = "Images referenced by each container in the template.";
const SELECTOR_DESC: &str = "A label query over pods that should match the replica count.";

const NAME: ColumnDef =
    ColumnDef { name: "Name", type_: "string", format: "name", description: NAME_DESC, priority: 0 };
const AGE: ColumnDef = c("Age", "string", CREATED_DESC);

/// The apiserver's `DefaultTableConvertor`, for kinds without a printer.
const DEFAULT_COLUMNS: &[ColumnDef] = &[NAME, c("Created At", "date", CREATED_DESC)];

const NAMESPACE: &[ColumnDef] = &[NAME, c("Status", "string", "The status of the namespace"), AGE];
const CONFIG_MAP: &[ColumnDef] = &[NAME, c("Data", "string", "Number of entries in data and binaryData."), AGE];
const SECRET: &[ColumnDef] = &[
    NAME,
    c("Type", "string", "Used to facilitate programmatic handling of secret data."),
    c("Data", "string", "Number of entries in data."),
    AGE,
];
const SERVICE: &[ColumnDef] = &[
    NAME,
    c("Type", "string", "type determines how the Service is exposed."),
    c("Cluster-IP", "string", "clusterIP is the IP address of the service."),
    c(
        "External-IP",
        "string",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.",
    ),
    c("Port(s)", "string", "The list of ports that are exposed by this service."),
    AGE,
    w("Selector", "string", "Route service traffic to pods with label keys and values matching this selector."),
];
const SERVICE_ACCOUNT: &[ColumnDef] = &[NAME, c("Secrets", "string", "Number of secrets referenced."), AGE];
const POD: &[ColumnDef] = &[
    NAME,
    c("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    c("Status", "string", "The aggregate status of the containers in this pod."),
    c(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    w("IP", "string", "podIP address allocated to the pod."),
    w("Node", "string", "NodeName indicates in which node this pod is scheduled."),
    w("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node."),
    w("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness."),
];
const POD_TEMPLATE: &[ColumnDef] = &[
    NAME,
    c("Containers", "string", CONTAINERS_DESC),
    c("Images", "string", IMAGES_DESC),
    c("Pod Labels", "string", "The labels for the pod template."),
];
const PVC: &[ColumnDef] = &[
    NAME,
    c("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
    c("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
    c("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
    c("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has."),
    c("StorageClass", "string", "StorageClass of the pvc"),
    c("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
    AGE,
    w("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim."),
];
const PV: &[ColumnDef] = &[
    NAME,
    c("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
    c("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
    c(
        "Reclaim Policy",
        "string",
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.",
    ),
    c("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
    c(
        "Claim",
        "string",
        "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.",
    ),
    c("StorageClass", "string", "StorageClass of the pv"),
    c("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
    c("Reason", "string", "reason is a brief CamelCase string that describes any failure."),
    AGE,
    w(
        "VolumeMode",
        "string",
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.",
    ),
];
const EVENT: &[ColumnDef] = &[
    c("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
    c("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
    c(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    c("Object", "string", "The object that this event is about."),
    w(
        "Subobject",
        "string",
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.",
    ),
    w("Source", "string", "The component reporting this event."),
    c("Message", "string", "A human-readable description of the status of this operation."),
    w("First Seen", "string", "The time at which the event was first recorded."),
    w("Count", "string", "The number of times this event has occurred."),
    ColumnDef { name: "Name", type_: "string", format: "name", description: NAME_DESC, priority: 1 },
];
const RESOURCE_QUOTA: &[ColumnDef] = &[
    NAME,
    c("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
    c(
        "Limit",
        "string",
        "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    AGE,
];
const ENDPOINTS: &[ColumnDef] =
    &[NAME, c("Endpoints", "string", "The set of all endpoints is the union of all subsets."), AGE];
const NODE: &[ColumnDef] = &[
    NAME,
    c("Status", "string", "The status of the node"),
    c("Roles", "string", "The roles of the node"),
    AGE,
    c("Version", "string", "Kubelet Version reported by the node."),
    w("Internal-IP", "string", "List of addresses reachable to the node."),
    w("External-IP", "string", "List of addresses reachable to the node."),
    w("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
    w("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    w(
        "Container-Runtime",
        "string",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    ),
];
const REPLICATION_CONTROLLER: &[ColumnDef] = &[
    NAME,
    c("Desired", "integer", "Replicas is the number of desired replicas."),
    c("Current", "integer", "Replicas is the most recently observed number of replicas."),
    c("Ready", "integer", "The number of ready replicas for this replication controller."),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", SELECTOR_DESC),
];
const DEPLOYMENT: &[ColumnDef] = &[
    NAME,
    c("Ready", "string", "Number of the pod with ready state"),
    c(
        "Up-to-date",
        "string",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    c(
        "Available",
        "string",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", "Label selector for pods."),
];
const STATEFUL_SET: &[ColumnDef] = &[
    NAME,
    c("Ready", "string", "Number of the pod with ready state"),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
];
const DAEMON_SET: &[ColumnDef] = &[
    NAME,
    c("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
    c(
        "Current",
        "integer",
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
    ),
    c(
        "Ready",
        "integer",
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.",
    ),
    c("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
    c(
        "Available",
        "integer",
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
    ),
    c("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", "A label query over pods that are managed by the daemon set."),
];
const REPLICA_SET: &[ColumnDef] = &[
    NAME,
    c("Desired", "integer", "Replicas is the number of desired replicas."),
    c("Current", "integer", "Replicas is the most recently observed number of replicas."),
    c("Ready", "integer", "The number of ready replicas for this replica set."),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", SELECTOR_DESC),
];
const CONTROLLER_REVISION: &[ColumnDef] = &[
    NAME,
    c("Controller", "string", "Controller of the object"),
    c("Revision", "string", "Revision indicates the revision of the state represented by Data."),
    AGE,
];
const JOB: &[ColumnDef] = &[
    NAME,
    c("Status", "string", "Status of the job."),
    c("Completions", "string", "The number of pods which reached phase Succeeded."),
    c("Duration", "string", "Time required to complete the job."),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", "A label query over pods that should match the pod count."),
];
const CRON_JOB: &[ColumnDef] = &[
    NAME,
    c("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
    c("Timezone", "string", "The time zone name for the given schedule."),
    c("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions."),
    c("Active", "integer", "A list of pointers to currently running jobs."),
    c("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
    AGE,
    w("Containers", "string", CONTAINERS_DESC),
    w("Images", "string", IMAGES_DESC),
    w("Selector", "string", "A label query over pods that should match the pod count."),
];
const BINDING: &[ColumnDef] = &[
    NAME,
    c(
        "Role",
        "string",
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.",
    ),
    AGE,
    w("Users", "string", "Users in the roleBinding"),
    w("Groups", "string", "Groups in the roleBinding"),
    w("ServiceAccounts", "string", "ServiceAccounts in the roleBinding"),
];
const CLUSTER_BINDING: &[ColumnDef] = &[
    NAME,
    c("Role", "string", "RoleRef can only reference a ClusterRole in the global namespace."),
    AGE,
    w("Users", "string", "Users in the clusterRoleBinding"),
    w("Groups", "string", "Groups in the clusterRoleBinding"),
    w("ServiceAccounts", "string", "ServiceAccounts in the clusterRoleBinding"),
];
const INGRESS: &[ColumnDef] = &[
    NAME,
    c("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
    c("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
    c("Address", "string", "Address is a list containing ingress points for the load-balancer"),
    c("Ports", "string", "Ports of TLS configurations that open"),
    AGE,
];
const INGRESS_CLASS: &[ColumnDef] = &[
    NAME,
    c("Controller", "string", "Controller that is responsible for handling this class"),
    c("Parameters", "string", "A reference to a resource with additional parameters"),
    AGE,
];
const NETWORK_POLICY: &[ColumnDef] =
    &[NAME, c("Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies."), AGE];
const PDB: &[ColumnDef] = &[
    NAME,
    c("Min Available", "string", "The minimum number of pods that must be available."),
    c("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
    c("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
    AGE,
];
const LEASE: &[ColumnDef] =
    &[NAME, c("Holder", "string", "holderIdentity contains the identity of the holder of a current lease."), AGE];
const STORAGE_CLASS: &[ColumnDef] = &[
    NAME,
    c("Provisioner", "string", "provisioner indicates the type of the provisioner."),
    c(
        "ReclaimPolicy",
        "string",
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.",
    ),
    c(
        "VolumeBindingMode",
        "string",
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.",
    ),
    c("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
    AGE,
];
const CSI_DRIVER: &[ColumnDef] = &[
    NAME,
    c("AttachRequired", "boolean", "attachRequired indicates this CSI volume driver requires an attach operation."),
    c(
        "PodInfoOnMount",
        "boolean",
        "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.",
    ),
    c(
        "StorageCapacity",
        "boolean",
        "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.",
    ),
    c(
        "TokenRequests",
        "string",
        "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for.",
    ),
    c(
        "RequiresRepublish",
        "boolean",
        "requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.",
    ),
    c("Modes", "string", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."),
    AGE,
];
const VOLUME_ATTACHMENT: &[ColumnDef] = &[
    NAME,
    ColumnDef {
        name: "Attacher",
        type_: "string",
        format: "name",
        description: "attacher indicates the name of the volume driver that MUST handle this request.",
        priority: 0,
    },
    c("PV", "string", "persistentVolumeName represents the name of the persistent volume to attach."),
    c("Node", "string", "nodeName represents the node that the volume should be attached to."),
    c("Attached", "boolean", "attached indicates the volume is successfully attached."),
    AGE,
];
const HPA: &[ColumnDef] = &[
    NAME,
    c("Reference", "string", "scaleTargetRef points to the target resource to scale."),
    c(
        "Targets",
        "string",
        "metrics contains the specifications for which to use to calculate the desired replica count.",
    ),
    c(
        "MinPods",
        "string",
        "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.",
    ),
    c(
        "MaxPods",
        "string",
        "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.",
    ),
    c("Replicas", "string", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
    AGE,
];
const WEBHOOK_CONFIGURATION: &[ColumnDef] = &[
    NAME,
    c("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"),
    AGE,
];
const VALIDATING_ADMISSION_POLICY: &[ColumnDef] = &[
    NAME,
    c("Validations", "integer", "Validations indicates the number of validation rules defined in this configuration"),
    c("ParamKind", "string", "ParamKind specifies the kind of resources used to parameterize this policy"),
    AGE,
];
const VALIDATING_ADMISSION_POLICY_BINDING: &[ColumnDef] = &[
    NAME,
    c("PolicyName", "string", "PolicyName indicates the policy definition which the policy binding binded to"),
    c("ParamRef", "string", "ParamRef indicates the param resource which sets the configration param"),
    AGE,
];
const API_SERVICE: &[ColumnDef] = &[
    NAME,
    c("Service", "string", "The reference to the service that hosts this API endpoint."),
    c("Available", "string", "Whether this service is available."),
    AGE,
];
const PRIORITY_CLASS: &[ColumnDef] = &[
    NAME,
    c("Value", "integer", "value represents the integer value of this priority class."),
    c(
        "Global-Default",
        "boolean",
        "globalDefault specifies whether this PriorityClass should be considered as the default priority.",
    ),
    AGE,
    c("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority."),
];
const RUNTIME_CLASS: &[ColumnDef] =
    &[NAME, c("Handler", "string", "handler specifies the underlying runtime and configuration."), AGE];
const ENDPOINT_SLICE: &[ColumnDef] = &[
    NAME,
    c("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice."),
    c("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice."),
    c("Endpoints", "string", "endpoints is a list of unique endpoints in this slice."),
    AGE,
];

type RowFn = fn(&Value, Timestamp) -> Vec<Value>;

/// Makes the cells of one object's row.
type CellsFn<'a> = Box<dyn Fn(&Value) -> Vec<Value> + 'a>;

/// The printer of a built-in kind, or `None` when the server uses its default table.
fn builtin_printer(group: &str, kind: &str) -> Option<(&'static [ColumnDef], RowFn)> {
    let printer: (&'static [ColumnDef], RowFn) = match (group, kind) {
        ("", "Namespace") => (NAMESPACE, namespace_row),
        ("", "ConfigMap") => (CONFIG_MAP, config_map_row),
        ("", "Secret") => (SECRET, secret_row),
        ("", "Service") => (SERVICE, service_row),
        ("", "ServiceAccount") => (SERVICE_ACCOUNT, service_account_row),
        ("", "Pod") => (POD, pod_row),
        ("", "PodTemplate") => (POD_TEMPLATE, pod_template_row),
        ("", "PersistentVolumeClaim") => (PVC, pvc_row),
        ("", "PersistentVolume") => (PV, pv_row),
        ("", "Event") => (EVENT, event_row),
        ("", "ResourceQuota") => (RESOURCE_QUOTA, resource_quota_row),
        ("", "Endpoints") => (ENDPOINTS, endpoints_row),
        ("", "Node") => (NODE, node_row),
        ("", "ReplicationController") => (REPLICATION_CONTROLLER, replication_controller_row),
        ("apps", "Deployment") => (DEPLOYMENT, deployment_row),
        ("apps", "StatefulSet") => (STATEFUL_SET, stateful_set_row),
        ("apps", "DaemonSet") => (DAEMON_SET, daemon_set_row),
        ("apps", "ReplicaSet") => (REPLICA_SET, replica_set_row),
        ("apps", "ControllerRevision") => (CONTROLLER_REVISION, controller_revision_row),
        ("batch", "Job") => (JOB, job_row),
        ("batch", "CronJob") => (CRON_JOB, cron_job_row),
        ("rbac.authorization.k8s.io", "RoleBinding") => (BINDING, binding_row),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => (CLUSTER_BINDING, binding_row),
        ("networking.k8s.io", "Ingress") => (INGRESS, ingress_row),
        ("networking.k8s.io", "IngressClass") => (INGRESS_CLASS, ingress_class_row),
        ("networking.k8s.io", "NetworkPolicy") => (NETWORK_POLICY, network_policy_row),
        ("policy", "PodDisruptionBudget") => (PDB, pdb_row),
        ("coordination.k8s.io", "Lease") => (LEASE, lease_row),
        ("storage.k8s.io", "StorageClass") => (STORAGE_CLASS, storage_class_row),
        ("storage.k8s.io", "CSIDriver") => (CSI_DRIVER, csi_driver_row),
        ("storage.k8s.io", "VolumeAttachment") => (VOLUME_ATTACHMENT, volume_attachment_row),
        ("autoscaling", "HorizontalPodAutoscaler") => (HPA, hpa_row),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration") => {
            (WEBHOOK_CONFIGURATION, webhook_configuration_row)
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            (VALIDATING_ADMISSION_POLICY, validating_admission_policy_row)
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            (VALIDATING_ADMISSION_POLICY_BINDING, validating_admission_policy_binding_row)
        }
        ("apiregistration.k8s.io", "APIService") => (API_SERVICE, api_service_row),
        ("scheduling.k8s.io", "PriorityClass") => (PRIORITY_CLASS, priority_class_row),
        ("node.k8s.io", "RuntimeClass") => (RUNTIME_CLASS, runtime_class_row),
        ("discovery.k8s.io", "EndpointSlice") => (ENDPOINT_SLICE, endpoint_slice_row),
        // Role, ClusterRole, LimitRange, CustomResourceDefinition, … have no printer.
        _ => return None,
    };
    Some(printer)
}

// ---------------------------------------------------------------------------
// Field access (every accessor tolerates missing or mistyped fields)
// ---------------------------------------------------------------------------

fn opt_str<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    opt_str(v, ptr).unwrap_or_default()
}

/// A string field, or `default` when it is missing or empty (the server's default).
fn str_or<'a>(v: &'a Value, ptr: &str, default: &'a str) -> &'a str {
    opt_str(v, ptr).filter(|s| !s.is_empty()).unwrap_or(default)
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn opt_int(v: &Value, ptr: &str) -> Option<i64> {
    v.pointer(ptr).and_then(as_int)
}

fn int_at(v: &Value, ptr: &str) -> i64 {
    opt_int(v, ptr).unwrap_or(0)
}

fn opt_bool(v: &Value, ptr: &str) -> Option<bool> {
    v.pointer(ptr).and_then(Value::as_bool)
}

fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The number of entries of a map or list field.
fn len_at(v: &Value, ptr: &str) -> usize {
    match v.pointer(ptr) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn name(obj: &Value) -> Value {
    json!(str_at(obj, "/metadata/name"))
}

fn age(obj: &Value, now: Timestamp) -> Value {
    json!(since(opt_str(obj, "/metadata/creationTimestamp"), now))
}

fn deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// A quantity as the printers show it (`Quantity.String()`); a missing one is the zero quantity.
fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".into(),
    }
}

/// A quantity pointer as `Quantity.String()` shows it: `<nil>` when unset.
fn quantity_ptr(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".into(),
        v => quantity(v),
    }
}

/// An `IntOrString` as its `String()`.
fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => as_int(v).unwrap_or_default().to_string(),
    }
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

/// Seconds of `0001-01-01T00:00:00Z`, Go's zero `time.Time`.
const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// A set `metav1.Time`: `None` for missing, empty, unparseable or zero timestamps.
fn parse_time(s: Option<&str>) -> Option<Timestamp> {
    let t = s?.parse::<Timestamp>().ok()?;
    (t.as_second() != GO_ZERO_TIME_SECONDS || t.subsec_nanosecond() != 0).then_some(t)
}

/// The age of a timestamp, as `translateTimestampSince`: `<unknown>` when unset.
fn since(ts: Option<&str>, now: Timestamp) -> String {
    match parse_time(ts) {
        Some(t) => human_duration(now.as_nanosecond() - t.as_nanosecond()),
        None => "<unknown>".into(),
    }
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration` of a duration in nanoseconds:
/// about two or three significant figures (`45s`, `5m12s`, `3h5m`, `2d5h`, `30d`, `2y10d`).
/// Up to two seconds in the future counts as now; further is `<invalid>`.
fn human_duration(nanos: i128) -> String {
    // Go's time.Duration saturates at ±292 years.
    let d = nanos.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    let seconds = d / 1_000_000_000;
    if seconds < -1 {
        return "<invalid>".into();
    } else if seconds < 0 {
        return "0s".into();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

// ---------------------------------------------------------------------------
// Shared formatting
// ---------------------------------------------------------------------------

/// `labels.FormatLabels`: `k=v` pairs sorted by key, or `<none>`.
fn format_labels(m: Option<&Value>) -> String {
    let mut pairs: Vec<(&str, String)> = m
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), scalar_text(v))).collect())
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".into();
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// A metav1 `LabelSelector` as `LabelSelectorAsSelector(..).String()`: requirements sorted
/// by key, `""` for a missing or empty selector, `Err` for an invalid one.
fn label_selector(sel: Option<&Value>) -> Result<String, ()> {
    let Some(sel) = sel.filter(|s| !s.is_null()) else { return Ok(String::new()) };
    let sel = sel.as_object().ok_or(())?;
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(labels) = sel.get("matchLabels").filter(|v| !v.is_null()) {
        for (k, v) in labels.as_object().ok_or(())? {
            let v = v.as_str().ok_or(())?;
            if k.is_empty() {
                return Err(());
            }
            reqs.push((k.clone(), format!("{k}={v}")));
        }
    }
    if let Some(exprs) = sel.get("matchExpressions").filter(|v| !v.is_null()) {
        for e in exprs.as_array().ok_or(())? {
            let key = e.get("key").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(())?;
            let mut values: Vec<&str> = match e.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(v) => v.as_array().ok_or(())?.iter().map(|v| v.as_str().ok_or(())).collect::<Result<_, _>>()?,
            };
            values.sort_unstable();
            let text = match e.get("operator").and_then(Value::as_str) {
                Some("In") if !values.is_empty() => format!("{key} in ({})", values.join(",")),
                Some("NotIn") if !values.is_empty() => format!("{key} notin ({})", values.join(",")),
                Some("Exists") if values.is_empty() => key.to_string(),
                Some("DoesNotExist") if values.is_empty() => format!("!{key}"),
                _ => return Err(()),
            };
            reqs.push((key.to_string(), text));
        }
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(","))
}

/// `metav1.FormatLabelSelector`: `<none>` when empty, `<error>` when invalid.
fn format_label_selector(sel: Option<&Value>) -> String {
    match label_selector(sel) {
        Ok(s) if s.is_empty() => "<none>".into(),
        Ok(s) => s,
        Err(()) => "<error>".into(),
    }
}

/// The names and the images of containers, each joined with commas.
fn container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, "/image")).collect();
    (names.join(","), images.join(","))
}

/// A scalar as text (label values, annotation values).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// The first argument that is not empty.
fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// Up to three entries joined with commas, then `+ N more...`; `<unset>` when empty.
fn list_with_more(list: &[String], count: usize) -> String {
    const MAX: usize = 3;
    let shown = &list[..list.len().min(MAX)];
    let joined = shown.join(",");
    if count > MAX {
        return format!("{joined} + {} more...", count - MAX);
    }
    if joined.is_empty() { "<unset>".into() } else { joined }
}

/// `net.JoinHostPort`.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// Load balancer ingress points: distinct IPs (or hostnames), sorted, comma-joined.
fn load_balancer_ingress(status: &Value, ptr: &str) -> String {
    let set: BTreeSet<&str> = arr(status, ptr)
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, "/ip");
            let host = str_at(i, "/hostname");
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// Access modes as `RWO,ROX,RWX,RWOP` (each once, in that order).
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .iter()
        .filter(|(mode, _)| has(mode))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(",")
}

/// The storage class of a PV or PVC: the beta annotation first, then `spec.storageClassName`.
fn storage_class_of(obj: &Value) -> &str {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| str_at(obj, "/spec/storageClassName"))
}

// ---------------------------------------------------------------------------
// Rows of the built-in printers
// ---------------------------------------------------------------------------

fn namespace_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let phase = str_or(o, "/status/phase", if deleting(o) { "Terminating" } else { "Active" });
    vec![name(o), json!(phase), age(o, now)]
}

fn config_map_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(len_at(o, "/data") + len_at(o, "/binaryData")), age(o, now)]
}

fn secret_row(o: &Value, now: Timestamp) -> Vec<Value> {
    // The server folds write-only `stringData` into `data`; count the keys of both once.
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for ptr in ["/data", "/stringData"] {
        if let Some(m) = o.pointer(ptr).and_then(Value::as_object) {
            keys.extend(m.keys().map(String::as_str));
        }
    }
    vec![name(o), json!(str_or(o, "/type", "Opaque")), json!(keys.len()), age(o, now)]
}

fn service_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let type_ = str_or(o, "/spec/type", "ClusterIP");
    let cluster_ip = match arr(o, "/spec/clusterIPs").first() {
        Some(ip) => scalar_text(ip),
        None => str_or(o, "/spec/clusterIP", "<none>").to_string(),
    };
    let external_ips: Vec<String> = arr(o, "/spec/externalIPs").iter().map(scalar_text).collect();
    let external = match type_ {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let lb = load_balancer_ingress(o, "/status/loadBalancer/ingress");
            if !external_ips.is_empty() {
                let mut all: Vec<String> =
                    if lb.is_empty() { Vec::new() } else { lb.split(',').map(str::to_string).collect() };
                all.extend(external_ips);
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".into()
            }
        }
        "ExternalName" => str_at(o, "/spec/externalName").to_string(),
        _ => "<unknown>".into(),
    };
    let ports: Vec<String> = arr(o, "/spec/ports")
        .iter()
        .map(|p| {
            let port = int_at(p, "/port");
            let protocol = str_or(p, "/protocol", "TCP");
            match int_at(p, "/nodePort") {
                np if np > 0 => format!("{port}:{np}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() { "<none>".to_string() } else { ports.join(",") };
    vec![
        name(o),
        json!(type_),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        age(o, now),
        json!(format_labels(o.pointer("/spec/selector"))),
    ]
}

fn service_account_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(len_at(o, "/secrets")), age(o, now)]
}

/// A container status's terminated state's reason as the pod printer shows it, or `None`
/// when the container has not terminated.
fn terminated_reason(state: Option<&Value>, prefix: &str) -> Option<String> {
    let t = state?.get("terminated").filter(|t| !t.is_null())?;
    let reason = str_at(t, "/reason");
    Some(if !reason.is_empty() {
        format!("{prefix}{reason}")
    } else if int_at(t, "/signal") != 0 {
        format!("{prefix}Signal:{}", int_at(t, "/signal"))
    } else {
        format!("{prefix}ExitCode:{}", int_at(t, "/exitCode"))
    })
}

/// When a container last terminated (`lastState.terminated.finishedAt`).
fn last_termination(status: &Value) -> Option<Timestamp> {
    parse_time(opt_str(status, "/lastState/terminated/finishedAt"))
}

fn pod_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let phase = str_at(o, "/status/phase");
    let mut reason = str_or(o, "/status/reason", phase).to_string();
    let conditions = arr(o, "/status/conditions");
    if conditions.iter().any(|c| str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated") {
        reason = "SchedulingGated".into();
    }
    let init_specs = arr(o, "/spec/initContainers");
    let restartable =
        |name: &str| init_specs.iter().any(|c| str_at(c, "/name") == name && str_at(c, "/restartPolicy") == "Always");
    let total = arr(o, "/spec/containers").len()
        + init_specs.iter().filter(|c| str_at(c, "/restartPolicy") == "Always").count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut restartable_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_restart: Option<Timestamp> = None;
    let later = |a: Option<Timestamp>, b: Option<Timestamp>| a.max(b);

    let mut initializing = false;
    for (i, cs) in arr(o, "/status/initContainerStatuses").iter().enumerate() {
        let state = cs.get("state");
        restarts += int_at(cs, "/restartCount");
        last_restart = later(last_restart, last_termination(cs));
        let is_restartable = restartable(str_at(cs, "/name"));
        if is_restartable {
            restartable_restarts += int_at(cs, "/restartCount");
            last_restartable_restart = later(last_restartable_restart, last_termination(cs));
        }
        let terminated = state.and_then(|s| s.get("terminated")).filter(|t| !t.is_null());
        let waiting_reason = state.and_then(|s| s.pointer("/waiting/reason")).and_then(Value::as_str).unwrap_or("");
        if terminated.is_some_and(|t| int_at(t, "/exitCode") == 0) {
            continue;
        } else if is_restartable && opt_bool(cs, "/started") == Some(true) {
            if opt_bool(cs, "/ready") == Some(true) {
                ready += 1;
            }
            continue;
        } else if let Some(r) = terminated_reason(state, "Init:") {
            reason = r;
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    let initialized =
        conditions.iter().find(|c| str_at(c, "/type") == "Initialized").is_some_and(|c| str_at(c, "/status") == "True");
    if !initializing || initialized {
        restarts = restartable_restarts;
        last_restart = last_restartable_restart;
        let mut has_running = false;
        for cs in arr(o, "/status/containerStatuses").iter().rev() {
            let state = cs.get("state");
            restarts += int_at(cs, "/restartCount");
            last_restart = later(last_restart, last_termination(cs));
            let waiting_reason = state.and_then(|s| s.pointer("/waiting/reason")).and_then(Value::as_str).unwrap_or("");
            let running = state.and_then(|s| s.get("running")).is_some_and(|r| !r.is_null());
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(r) = terminated_reason(state, "") {
                reason = r;
            } else if opt_bool(cs, "/ready") == Some(true) && running {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conditions.iter().any(|c| str_at(c, "/type") == "Ready" && str_at(c, "/status") == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }

    if deleting(o) && str_at(o, "/status/reason") == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting(o) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }

    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(now.as_nanosecond() - t.as_nanosecond()))
        }
        _ => restarts.to_string(),
    };

    let pod_ip =
        arr(o, "/status/podIPs").first().map(|ip| str_at(ip, "/ip")).unwrap_or_else(|| str_at(o, "/status/podIP"));
    let gates = arr(o, "/spec/readinessGates");
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_count = gates
            .iter()
            .filter(|g| {
                let ty = str_at(g, "/conditionType");
                conditions.iter().find(|c| str_at(c, "/type") == ty).is_some_and(|c| str_at(c, "/status") == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };
    vec![
        name(o),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_text),
        age(o, now),
        json!(first_non_empty(pod_ip, "<none>")),
        json!(str_or(o, "/spec/nodeName", "<none>")),
        json!(str_or(o, "/status/nominatedNodeName", "<none>")),
        json!(readiness_gates),
    ]
}

/// The row conditions the pod printer attaches to finished pods.
fn pod_row_conditions(o: &Value) -> Option<Value> {
    let (reason, message) = match str_at(o, "/status/phase") {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

fn pod_template_row(o: &Value, _now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(arr(o, "/template/spec/containers"));
    vec![name(o), json!(names), json!(images), json!(format_labels(o.pointer("/template/metadata/labels")))]
}

fn pvc_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let phase = if deleting(o) { "Terminating" } else { str_at(o, "/status/phase") };
    let volume = str_at(o, "/spec/volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (quantity(o.pointer("/status/capacity/storage")), access_modes(arr(o, "/status/accessModes")))
    };
    vec![
        name(o),
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class_of(o)),
        json!(str_or(o, "/spec/volumeAttributesClassName", "<unset>")),
        age(o, now),
        json!(str_or(o, "/spec/volumeMode", "Filesystem")),
    ]
}

fn pv_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let claim = match o.pointer("/spec/claimRef").filter(|c| c.is_object()) {
        Some(c) => format!("{}/{}", str_at(c, "/namespace"), str_at(c, "/name")),
        None => String::new(),
    };
    let phase = if deleting(o) { "Terminating" } else { str_or(o, "/status/phase", "Pending") };
    vec![
        name(o),
        json!(quantity(o.pointer("/spec/capacity/storage"))),
        json!(access_modes(arr(o, "/spec/accessModes"))),
        json!(str_or(o, "/spec/persistentVolumeReclaimPolicy", "Retain")),
        json!(phase),
        json!(claim),
        json!(storage_class_of(o)),
        json!(str_or(o, "/spec/volumeAttributesClassName", "<unset>")),
        json!(str_at(o, "/status/reason")),
        age(o, now),
        json!(str_or(o, "/spec/volumeMode", "Filesystem")),
    ]
}

fn event_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let first = match parse_time(opt_str(o, "/firstTimestamp")) {
        Some(_) => since(opt_str(o, "/firstTimestamp"), now),
        None => since(opt_str(o, "/eventTime"), now),
    };
    let mut last = match parse_time(opt_str(o, "/lastTimestamp")) {
        Some(_) => since(opt_str(o, "/lastTimestamp"), now),
        None => first.clone(),
    };
    let mut count = int_at(o, "/count");
    if o.get("series").is_some_and(Value::is_object) {
        last = since(opt_str(o, "/series/lastObservedTime"), now);
        count = int_at(o, "/series/count");
    } else if count == 0 {
        count = 1;
    }
    let kind = str_at(o, "/involvedObject/kind").to_lowercase();
    let involved = str_at(o, "/involvedObject/name");
    let target = if involved.is_empty() { kind } else { format!("{kind}/{involved}") };
    let component = first_non_empty(str_at(o, "/source/component"), str_at(o, "/reportingComponent"));
    let instance = first_non_empty(str_at(o, "/source/host"), str_at(o, "/reportingInstance"));
    let source = if instance.is_empty() { component.to_string() } else { format!("{component}, {instance}") };
    vec![
        json!(last),
        json!(str_at(o, "/type")),
        json!(str_at(o, "/reason")),
        json!(target),
        json!(str_at(o, "/involvedObject/fieldPath")),
        json!(source),
        json!(str_at(o, "/message").trim()),
        json!(first),
        json!(count),
        name(o),
    ]
}

fn resource_quota_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    if let Some(hard) = o.pointer("/status/hard").and_then(Value::as_object) {
        let mut resources: Vec<&String> = hard.keys().collect();
        resources.sort();
        for r in resources {
            let used = quantity(o.pointer("/status/used").and_then(|u| u.get(r.as_str())));
            let entry = format!("{r}: {used}/{}", quantity(hard.get(r.as_str())));
            let mut pieces = r.split('.');
            if pieces.next() == Some("limits") && pieces.next().is_some() {
                limits.push(entry);
            } else {
                requests.push(entry);
            }
        }
    }
    vec![name(o), json!(requests.join(", ")), json!(limits.join(", ")), age(o, now)]
}

fn endpoints_row(o: &Value, now: Timestamp) -> Vec<Value> {
    const MAX: usize = 3;
    let subsets = arr(o, "/subsets");
    let text = if subsets.is_empty() {
        "<none>".to_string()
    } else {
        let mut list: Vec<String> = Vec::new();
        let mut count = 0usize;
        let mut more = false;
        for ss in subsets {
            let addresses = arr(ss, "/addresses");
            let ports = arr(ss, "/ports");
            if ports.is_empty() {
                count += addresses.len();
                for a in addresses {
                    if list.len() == MAX {
                        more = true;
                        break;
                    }
                    list.push(str_at(a, "/ip").to_string());
                }
                continue;
            }
            for p in ports {
                count += addresses.len();
                for a in addresses {
                    if list.len() == MAX {
                        more = true;
                        break;
                    }
                    list.push(join_host_port(str_at(a, "/ip"), int_at(p, "/port")));
                }
            }
        }
        let joined = list.join(",");
        if more { format!("{joined} + {} more...", count - MAX) } else { joined }
    };
    vec![name(o), json!(text), age(o, now)]
}

fn endpoint_slice_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let ports_all = arr(o, "/ports");
    let ports: Vec<String> = ports_all
        .iter()
        .map(|p| match (opt_int(p, "/port"), opt_str(p, "/name")) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => n.to_string(),
            (None, None) => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> =
        arr(o, "/endpoints").iter().flat_map(|e| arr(e, "/addresses").iter().map(scalar_text)).collect();
    vec![
        name(o),
        json!(str_at(o, "/addressType")),
        json!(list_with_more(&ports, ports_all.len())),
        json!(list_with_more(&addresses, addresses.len())),
        age(o, now),
    ]
}

fn node_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let mut status: Vec<&str> = Vec::new();
    if let Some(c) = arr(o, "/status/conditions").iter().rev().find(|c| str_at(c, "/type") == "Ready") {
        status.push(if str_at(c, "/status") == "True" { "Ready" } else { "NotReady" });
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if opt_bool(o, "/spec/unschedulable") == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles: BTreeSet<String> = BTreeSet::new();
    if let Some(labels) = o.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role.to_string());
                }
            } else if k == "kubernetes.io/role" && !scalar_text(v).is_empty() {
                roles.insert(scalar_text(v));
            }
        }
    }
    let roles = if roles.is_empty() { "<none>".to_string() } else { roles.into_iter().collect::<Vec<_>>().join(",") };
    let address = |ty: &str| {
        arr(o, "/status/addresses")
            .iter()
            .find(|a| str_at(a, "/type") == ty)
            .map(|a| str_at(a, "/address"))
            .unwrap_or("<none>")
    };
    vec![
        name(o),
        json!(status.join(",")),
        json!(roles),
        age(o, now),
        json!(str_at(o, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(str_or(o, "/status/nodeInfo/osImage", "<unknown>")),
        json!(str_or(o, "/status/nodeInfo/kernelVersion", "<unknown>")),
        json!(str_or(o, "/status/nodeInfo/containerRuntimeVersion", "<unknown>")),
    ]
}

fn replication_controller_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    vec![
        name(o),
        json!(opt_int(o, "/spec/replicas").unwrap_or(1)),
        json!(int_at(o, "/status/replicas")),
        json!(int_at(o, "/status/readyReplicas")),
        age(o, now),
        json!(names),
        json!(images),
        json!(format_labels(o.pointer("/spec/selector"))),
    ]
}

fn deployment_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let desired = opt_int(o, "/spec/replicas").unwrap_or(1);
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    let selector = label_selector(o.pointer("/spec/selector")).unwrap_or_else(|()| "<invalid>".into());
    vec![
        name(o),
        json!(format!("{}/{desired}", int_at(o, "/status/readyReplicas"))),
        json!(int_at(o, "/status/updatedReplicas")),
        json!(int_at(o, "/status/availableReplicas")),
        age(o, now),
        json!(names),
        json!(images),
        json!(selector),
    ]
}

fn stateful_set_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let desired = opt_int(o, "/spec/replicas").unwrap_or(1);
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    vec![
        name(o),
        json!(format!("{}/{desired}", int_at(o, "/status/readyReplicas"))),
        age(o, now),
        json!(names),
        json!(images),
    ]
}

fn daemon_set_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    vec![
        name(o),
        json!(int_at(o, "/status/desiredNumberScheduled")),
        json!(int_at(o, "/status/currentNumberScheduled")),
        json!(int_at(o, "/status/numberReady")),
        json!(int_at(o, "/status/updatedNumberScheduled")),
        json!(int_at(o, "/status/numberAvailable")),
        json!(format_labels(o.pointer("/spec/template/spec/nodeSelector"))),
        age(o, now),
        json!(names),
        json!(images),
        json!(format_label_selector(o.pointer("/spec/selector"))),
    ]
}

fn replica_set_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    vec![
        name(o),
        json!(opt_int(o, "/spec/replicas").unwrap_or(1)),
        json!(int_at(o, "/status/replicas")),
        json!(int_at(o, "/status/readyReplicas")),
        age(o, now),
        json!(names),
        json!(images),
        json!(format_label_selector(o.pointer("/spec/selector"))),
    ]
}

fn controller_revision_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let owner = arr(o, "/metadata/ownerReferences").iter().find(|r| opt_bool(r, "/controller") == Some(true));
    let controller = match owner {
        None => "<none>".to_string(),
        Some(r) => {
            let api_version = str_at(r, "/apiVersion");
            let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            let kind = str_at(r, "/kind");
            let group_kind = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
            let name = str_at(r, "/name");
            if group_kind.is_empty() { name.to_string() } else { format!("{}/{name}", group_kind.to_lowercase()) }
        }
    };
    vec![name(o), json!(controller), json!(int_at(o, "/revision")), age(o, now)]
}

fn job_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int_at(o, "/status/succeeded");
    let completions = match opt_int(o, "/spec/completions") {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int_at(o, "/spec/parallelism") {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (parse_time(opt_str(o, "/status/startTime")), parse_time(opt_str(o, "/status/completionTime")))
    {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.as_nanosecond() - start.as_nanosecond()),
        (Some(start), Some(end)) => human_duration(end.as_nanosecond() - start.as_nanosecond()),
    };
    let conditions = arr(o, "/status/conditions");
    let has =
        |ty: &str| conditions.iter().find(|c| str_at(c, "/type") == ty).is_some_and(|c| str_at(c, "/status") == "True");
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if deleting(o) {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = container_cells(arr(o, "/spec/template/spec/containers"));
    vec![
        name(o),
        json!(status),
        json!(completions),
        json!(duration),
        age(o, now),
        json!(names),
        json!(images),
        json!(format_label_selector(o.pointer("/spec/selector"))),
    ]
}

fn cron_job_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let last_schedule = match o.pointer("/status/lastScheduleTime").and_then(Value::as_str) {
        Some(t) => since(Some(t), now),
        None => "<none>".into(),
    };
    let suspend = match opt_bool(o, "/spec/suspend") {
        Some(true) => "True",
        _ => "False",
    };
    let (names, images) = container_cells(arr(o, "/spec/jobTemplate/spec/template/spec/containers"));
    vec![
        name(o),
        json!(str_at(o, "/spec/schedule")),
        json!(opt_str(o, "/spec/timeZone").unwrap_or("<none>")),
        json!(suspend),
        json!(len_at(o, "/status/active")),
        json!(last_schedule),
        age(o, now),
        json!(names),
        json!(images),
        json!(format_label_selector(o.pointer("/spec/jobTemplate/spec/selector"))),
    ]
}

fn binding_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in arr(o, "/subjects") {
        match str_at(s, "/kind") {
            "ServiceAccount" => sas.push(format!("{}/{}", str_at(s, "/namespace"), str_at(s, "/name"))),
            "User" => users.push(str_at(s, "/name").to_string()),
            "Group" => groups.push(str_at(s, "/name").to_string()),
            _ => {}
        }
    }
    vec![
        name(o),
        json!(format!("{}/{}", str_at(o, "/roleRef/kind"), str_at(o, "/roleRef/name"))),
        age(o, now),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ]
}

fn ingress_row(o: &Value, now: Timestamp) -> Vec<Value> {
    const MAX: usize = 3;
    let rules = arr(o, "/spec/rules");
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for r in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = str_at(r, "/host");
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len() - MAX)
    } else {
        hosts.join(",")
    };
    let ports = if arr(o, "/spec/tls").is_empty() { "80" } else { "80, 443" };
    vec![
        name(o),
        json!(opt_str(o, "/spec/ingressClassName").unwrap_or("<none>")),
        json!(hosts),
        json!(load_balancer_ingress(o, "/status/loadBalancer/ingress")),
        json!(ports),
        age(o, now),
    ]
}

fn ingress_class_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let parameters = match o.pointer("/spec/parameters").filter(|p| p.is_object()) {
        None => "<none>".to_string(),
        Some(p) => {
            let mut text = str_at(p, "/kind").to_string();
            if let Some(g) = opt_str(p, "/apiGroup") {
                text = format!("{text}.{g}");
            }
            format!("{text}/{}", str_at(p, "/name"))
        }
    };
    vec![name(o), json!(str_at(o, "/spec/controller")), json!(parameters), age(o, now)]
}

fn network_policy_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(format_label_selector(o.pointer("/spec/podSelector"))), age(o, now)]
}

fn pdb_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let bound = |ptr: &str| match o.pointer(ptr) {
        None | Some(Value::Null) => "N/A".to_string(),
        Some(v) => int_or_string(v),
    };
    vec![
        name(o),
        json!(bound("/spec/minAvailable")),
        json!(bound("/spec/maxUnavailable")),
        json!(int_at(o, "/status/disruptionsAllowed")),
        age(o, now),
    ]
}

fn lease_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(str_at(o, "/spec/holderIdentity")), age(o, now)]
}

fn storage_class_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let annotations = o.pointer("/metadata/annotations");
    let is_default =
        ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"]
            .iter()
            .any(|k| annotations.and_then(|a| a.get(*k)).and_then(Value::as_str) == Some("true"));
    let mut display = str_at(o, "/metadata/name").to_string();
    if is_default {
        display.push_str(" (default)");
    }
    vec![
        json!(display),
        json!(str_at(o, "/provisioner")),
        json!(str_or(o, "/reclaimPolicy", "Delete")),
        json!(str_or(o, "/volumeBindingMode", "Immediate")),
        json!(opt_bool(o, "/allowVolumeExpansion").unwrap_or(false)),
        age(o, now),
    ]
}

fn csi_driver_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let token_requests = match o.pointer("/spec/tokenRequests").and_then(Value::as_array) {
        Some(t) => t.iter().map(|r| str_at(r, "/audience")).collect::<Vec<_>>().join(","),
        None => "<unset>".into(),
    };
    let modes = match o.pointer("/spec/volumeLifecycleModes").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        Some(_) => "<none>".into(),
        None => "Persistent".into(),
    };
    vec![
        name(o),
        json!(opt_bool(o, "/spec/attachRequired").unwrap_or(true)),
        json!(opt_bool(o, "/spec/podInfoOnMount").unwrap_or(false)),
        json!(opt_bool(o, "/spec/storageCapacity").unwrap_or(false)),
        json!(token_requests),
        json!(opt_bool(o, "/spec/requiresRepublish").unwrap_or(false)),
        json!(modes),
        age(o, now),
    ]
}

fn volume_attachment_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name(o),
        json!(str_at(o, "/spec/attacher")),
        json!(str_at(o, "/spec/source/persistentVolumeName")),
        json!(str_at(o, "/spec/nodeName")),
        json!(opt_bool(o, "/status/attached").unwrap_or(false)),
        age(o, now),
    ]
}

/// The `TARGETS` cell of an autoscaling/v2 HorizontalPodAutoscaler: `current/target` per metric.
fn hpa_metrics(o: &Value) -> String {
    const MAX: usize = 2;
    let specs = arr(o, "/spec/metrics");
    if specs.is_empty() {
        return "<none>".into();
    }
    let statuses = arr(o, "/status/currentMetrics");
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        // The status of the same index, when it reports this metric's source.
        let status = |source: &str| statuses.get(i).and_then(|s| s.get(source)).filter(|s| !s.is_null());
        let entry = match str_at(spec, "/type") {
            ty @ ("External" | "Object") => {
                let source = if ty == "External" { "external" } else { "object" };
                let target = spec.get(source).and_then(|s| s.get("target"));
                match target.and_then(|t| t.get("averageValue")).filter(|v| !v.is_null()) {
                    Some(avg) => {
                        let current = status(source)
                            .and_then(|s| s.pointer("/current/averageValue"))
                            .filter(|v| !v.is_null())
                            .map(|v| quantity(Some(v)))
                            .unwrap_or_else(|| "<unknown>".into());
                        format!("{current}/{} (avg)", quantity(Some(avg)))
                    }
                    None => {
                        let current = status(source)
                            .map(|s| quantity_ptr(s.pointer("/current/value")))
                            .unwrap_or_else(|| "<unknown>".into());
                        format!("{current}/{}", quantity_ptr(target.and_then(|t| t.get("value"))))
                    }
                }
            }
            "Pods" => {
                let current = status("pods")
                    .map(|s| quantity_ptr(s.pointer("/current/averageValue")))
                    .unwrap_or_else(|| "<unknown>".into());
                format!("{current}/{}", quantity_ptr(spec.pointer("/pods/target/averageValue")))
            }
            ty @ ("Resource" | "ContainerResource") => {
                let source = if ty == "Resource" { "resource" } else { "containerResource" };
                let s = spec.get(source);
                let resource = s.map(|s| str_at(s, "/name")).unwrap_or_default();
                match s.and_then(|s| s.pointer("/target/averageValue")).filter(|v| !v.is_null()) {
                    Some(avg) => {
                        let current = status(source)
                            .map(|st| quantity_ptr(st.pointer("/current/averageValue")))
                            .unwrap_or_else(|| "<unknown>".into());
                        format!("{resource}: {current}/{}", quantity(Some(avg)))
                    }
                    None => {
                        let current = status(source)
                            .and_then(|st| opt_int(st, "/current/averageUtilization"))
                            .map(|u| format!("{u}%"))
                            .unwrap_or_else(|| "<unknown>".into());
                        let target = s
                            .and_then(|s| opt_int(s, "/target/averageUtilization"))
                            .map(|u| format!("{u}%"))
                            .unwrap_or_else(|| "<auto>".into());
                        format!("{resource}: {current}/{target}")
                    }
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(entry);
    }
    let count = list.len();
    if count > MAX {
        list.truncate(MAX);
        return format!("{} + {} more...", list.join(", "), count - MAX);
    }
    list.join(", ")
}

fn hpa_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name(o),
        json!(format!("{}/{}", str_at(o, "/spec/scaleTargetRef/kind"), str_at(o, "/spec/scaleTargetRef/name"))),
        json!(hpa_metrics(o)),
        json!(opt_int(o, "/spec/minReplicas").unwrap_or(1).to_string()),
        json!(int_at(o, "/spec/maxReplicas")),
        json!(int_at(o, "/status/currentReplicas")),
        age(o, now),
    ]
}

fn webhook_configuration_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(len_at(o, "/webhooks")), age(o, now)]
}

fn validating_admission_policy_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let param_kind = match o.pointer("/spec/paramKind").filter(|p| p.is_object()) {
        Some(p) => format!("{}/{}", str_at(p, "/apiVersion"), str_at(p, "/kind")),
        None => "<unset>".into(),
    };
    vec![name(o), json!(len_at(o, "/spec/validations")), json!(param_kind), age(o, now)]
}

fn validating_admission_policy_binding_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let param = match o.pointer("/spec/paramRef").filter(|p| p.is_object()) {
        None => "<unset>".to_string(),
        Some(p) => {
            let (ns, n) = (str_at(p, "/namespace"), str_at(p, "/name"));
            if !n.is_empty() {
                if ns.is_empty() { format!("*/{n}") } else { format!("{ns}/{n}") }
            } else if p.get("selector").is_some_and(|s| !s.is_null()) {
                // The server prints the Go struct of the selector; the selector syntax is close enough.
                format_label_selector(p.get("selector"))
            } else {
                "<unset>".to_string()
            }
        }
    };
    vec![name(o), json!(str_at(o, "/spec/policyName")), json!(param), age(o, now)]
}

fn api_service_row(o: &Value, now: Timestamp) -> Vec<Value> {
    let service = match o.pointer("/spec/service").filter(|s| s.is_object()) {
        Some(s) => format!("{}/{}", str_at(s, "/namespace"), str_at(s, "/name")),
        None => "Local".into(),
    };
    let available = match arr(o, "/status/conditions").iter().find(|c| str_at(c, "/type") == "Available") {
        None => "Unknown".to_string(),
        Some(c) => {
            let (status, reason) = (str_at(c, "/status"), str_at(c, "/reason"));
            if status != "True" && !reason.is_empty() { format!("{status} ({reason})") } else { status.to_string() }
        }
    };
    vec![name(o), json!(service), json!(available), age(o, now)]
}

fn priority_class_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        name(o),
        json!(int_at(o, "/value")),
        json!(opt_bool(o, "/globalDefault").unwrap_or(false)),
        age(o, now),
        json!(str_or(o, "/preemptionPolicy", "PreemptLowerPriority")),
    ]
}

fn runtime_class_row(o: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(o), json!(str_at(o, "/handler")), age(o, now)]
}

/// The apiserver's default table row: the name and the creation time in RFC 3339.
fn default_row(o: &Value) -> Vec<Value> {
    let created = match parse_time(opt_str(o, "/metadata/creationTimestamp")) {
        Some(t) => Timestamp::from_second(t.as_second()).unwrap_or(t).to_string(),
        None => "0001-01-01T00:00:00Z".into(),
    };
    vec![name(o), json!(created)]
}

// ---------------------------------------------------------------------------
// Custom resources
// ---------------------------------------------------------------------------

/// Columns and row maker of a custom resource: `Name`, then the CRD's printer
/// columns, or `Age` (of `.metadata.creationTimestamp`) when it declares none.
fn custom_resource_printer(columns: &[PrinterColumn], now: Timestamp) -> (Vec<Value>, CellsFn<'_>) {
    let default_age;
    let columns: &[PrinterColumn] = if columns.is_empty() {
        default_age = [PrinterColumn {
            name: "Age".into(),
            type_: "date".into(),
            json_path: ".metadata.creationTimestamp".into(),
            description: CREATED_DESC.into(),
            priority: 0,
            format: String::new(),
        }];
        &default_age
    } else {
        columns
    };
    let mut defs = vec![NAME.to_json()];
    defs.extend(columns.iter().map(|col| {
        let description = if col.description.is_empty() {
            format!("Custom resource definition column (in JSONPath format): {}", col.json_path)
        } else {
            col.description.clone()
        };
        json!({
            "name": col.name,
            "type": col.type_,
            "format": col.format,
            "description": description,
            "priority": col.priority,
        })
    }));
    let paths: Vec<(String, Option<Vec<Segment>>)> =
        columns.iter().map(|col| (col.type_.clone(), parse_json_path(&col.json_path))).collect();
    let row = move |obj: &Value| {
        let mut cells = vec![name(obj)];
        cells.extend(paths.iter().map(|(type_, path)| {
            let value = path.as_deref().and_then(|p| eval_json_path(obj, p)).and_then(|found| found.first().copied());
            custom_cell(type_, value, now)
        }));
        cells
    };
    (defs, Box::new(row))
}

/// A custom column's cell, as `cellForJSONValue`: typed values for `integer`, `number`
/// and `boolean`, the printed value for `string`, an age for `date`; `null` when the
/// path finds nothing or the value does not fit the type.
fn custom_cell(type_: &str, value: Option<&Value>, now: Timestamp) -> Value {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Value::Null };
    match (type_, value) {
        ("string", v) => Value::String(go_text(v)),
        ("integer", Value::Number(n)) => {
            n.as_i64().map(Value::from).unwrap_or_else(|| json!(n.as_f64().unwrap_or(0.0) as i64))
        }
        ("number", Value::Number(n)) => go_float_json(n.as_f64().unwrap_or(0.0)),
        ("boolean", Value::Bool(b)) => json!(b),
        ("date", Value::String(s)) => {
            if s.is_empty() || s == "null" {
                json!("<unknown>")
            } else if s.parse::<Timestamp>().is_err() {
                json!("<invalid>")
            } else {
                json!(since(Some(s), now))
            }
        }
        _ => Value::Null,
    }
}

/// A float as Go's `encoding/json` writes it: integral values without a fraction.
fn go_float_json(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 { json!(f as i64) } else { json!(f) }
}

/// A JSON value as the JSONPath printer writes it: strings bare, numbers and booleans
/// as Go's `fmt.Print`, maps and lists as compact JSON with sorted keys.
fn go_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => go_float_text(n.as_f64().unwrap_or(0.0)),
        Value::Null => "null".into(),
        v => go_json(v),
    }
}

/// `fmt.Print` of a float64 (`%v`: `%g` with the shortest representation), which
/// switches to the exponent form when the decimal exponent is below -4 or at least 6.
fn go_float_text(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Shortest round-trip digits and decimal exponent, from Rust's `{:e}` (e.g. `1.2345e6`).
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map(|m| ("-", m)).unwrap_or(("", mantissa));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exp) {
        let rest = &digits[1..];
        let m = if rest.is_empty() { digits[..1].to_string() } else { format!("{}.{rest}", &digits[..1]) };
        let (esign, eabs) = if exp < 0 { ('-', -exp) } else { ('+', exp) };
        return format!("{sign}{m}e{esign}{eabs:02}");
    }
    let point = exp + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (point as usize) >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    };
    format!("{sign}{text}")
}

/// Compact JSON as Go's `json.Marshal` writes it: map keys sorted, `<`, `>` and `&` escaped.
fn go_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", go_json(&Value::String(k.clone())), go_json(&m[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(go_json).collect::<Vec<_>>().join(",")),
        Value::String(_) => v
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => go_float_json(n.as_f64().unwrap_or(0.0)).to_string(),
        v => v.to_string(),
    }
}

// ---------------------------------------------------------------------------
// JSONPath (the subset CRD printer columns use)
// ---------------------------------------------------------------------------

/// One step of a JSONPath.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]`; negative counts from the end.
    Index(i64),
    /// `[*]` or `.*`.
    Wildcard,
    /// `[?(@.path)]` or `[?(@.path <op> literal)]`.
    Filter(Filter),
}

#[derive(Debug, Clone, PartialEq)]
struct Filter {
    /// The path below `@`.
    left: Vec<Segment>,
    /// The comparison; `None` tests that the path exists.
    compare: Option<(CompareOp, Literal)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// Parses the JSONPath of a printer column (`.spec.replicas`,
/// `.status.conditions[?(@.type=="Ready")].status`, `.items[0].name`,
/// `.metadata.labels['app.kubernetes.io/name']`); `None` for anything else.
fn parse_json_path(path: &str) -> Option<Vec<Segment>> {
    let mut p = path.trim();
    if let Some(inner) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        p = inner.trim();
    }
    // `$` (root) and `@` (current) mean the object itself here.
    p = p.strip_prefix('$').or_else(|| p.strip_prefix('@')).unwrap_or(p);
    if !p.is_empty() && !p.starts_with('.') && !p.starts_with('[') {
        return None;
    }
    parse_segments(p)
}

/// Parses a sequence of `.field`, `.*` and `[...]` steps.
fn parse_segments(p: &str) -> Option<Vec<Segment>> {
    let chars: Vec<char> = p.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                match chars.get(i) {
                    None => break,
                    Some('.') => return None, // recursive descent
                    Some('*') => {
                        segments.push(Segment::Wildcard);
                        i += 1;
                    }
                    Some(_) => {
                        let mut field = String::new();
                        while let Some(&ch) = chars.get(i) {
                            match ch {
                                '\\' if chars.get(i + 1).is_some() => {
                                    field.push(chars[i + 1]);
                                    i += 2;
                                }
                                '.' | '[' => break,
                                ch => {
                                    field.push(ch);
                                    i += 1;
                                }
                            }
                        }
                        segments.push(Segment::Field(field));
                    }
                }
            }
            '[' => {
                let end = closing_bracket(&chars, i)?;
                let inner: String = chars[i + 1..end].iter().collect();
                segments.push(parse_bracket(inner.trim())?);
                i = end + 1;
            }
            _ => return None,
        }
    }
    Some(segments)
}

/// The index of the `]` that closes the `[` at `open`, skipping quoted text and parentheses.
fn closing_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    for (j, &ch) in chars.iter().enumerate().skip(open + 1) {
        match (quote, ch) {
            (Some(q), ch) if ch == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ']') if depth <= 0 => return Some(j),
            _ => {}
        }
    }
    None
}

/// Parses the inside of `[...]`.
fn parse_bracket(inner: &str) -> Option<Segment> {
    if inner == "*" {
        return Some(Segment::Wildcard);
    }
    if let Some(s) = unquote(inner) {
        return Some(Segment::Field(s));
    }
    if let Some(expr) = inner.strip_prefix('?').map(str::trim).and_then(|e| e.strip_prefix('(')?.strip_suffix(')')) {
        return parse_filter(expr.trim()).map(Segment::Filter);
    }
    inner.parse::<i64>().ok().map(Segment::Index)
}

/// The text of a `'…'` or `"…"` literal.
fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = s.strip_prefix(q)?.strip_suffix(q)?;
    (!body.contains(q)).then(|| body.to_string())
}

/// Parses a filter expression: `@.path`, or `@.path <op> literal`.
fn parse_filter(expr: &str) -> Option<Filter> {
    // Find the comparison operator outside quotes.
    let chars: Vec<char> = expr.chars().collect();
    let mut quote: Option<char> = None;
    let mut found: Option<(usize, usize, CompareOp)> = None;
    let mut j = 0;
    while j < chars.len() {
        let ch = chars[j];
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if ch == '\'' || ch == '"' => quote = Some(ch),
            None => {
                let next = chars.get(j + 1).copied();
                let op = match (ch, next) {
                    ('=', Some('=')) => Some((2, CompareOp::Eq)),
                    ('!', Some('=')) => Some((2, CompareOp::Ne)),
                    ('<', Some('=')) => Some((2, CompareOp::Le)),
                    ('>', Some('=')) => Some((2, CompareOp::Ge)),
                    ('<', _) => Some((1, CompareOp::Lt)),
                    ('>', _) => Some((1, CompareOp::Gt)),
                    _ => None,
                };
                if let Some((len, op)) = op {
                    found = Some((j, len, op));
                    break;
                }
            }
        }
        j += 1;
    }
    let (left, compare) = match found {
        None => (expr.to_string(), None),
        Some((at, len, op)) => {
            let left: String = chars[..at].iter().collect();
            let right: String = chars[at + len..].iter().collect();
            (left, Some((op, parse_literal(right.trim())?)))
        }
    };
    let left = left.trim().strip_prefix('@')?;
    if !left.is_empty() && !left.starts_with('.') && !left.starts_with('[') {
        return None;
    }
    Some(Filter { left: parse_segments(left)?, compare })
}

fn parse_literal(s: &str) -> Option<Literal> {
    if let Some(text) = unquote(s) {
        return Some(Literal::Str(text));
    }
    match s {
        "true" => Some(Literal::Bool(true)),
        "false" => Some(Literal::Bool(false)),
        s => s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Literal::Num),
    }
}

/// The values a JSONPath finds in `root`, in order; `None` when it cannot be applied
/// (an index or filter on something that is not a list).
fn eval_json_path<'a>(root: &'a Value, segments: &[Segment]) -> Option<Vec<&'a Value>> {
    let mut current = vec![root];
    for segment in segments {
        let mut next = Vec::new();
        for v in current.into_iter().filter(|v| !v.is_null()) {
            match segment {
                Segment::Field(name) => {
                    if let Some(found) = v.as_object().and_then(|m| m.get(name)) {
                        next.push(found);
                    }
                }
                Segment::Index(n) => {
                    let list = v.as_array()?;
                    let index = if *n < 0 { list.len() as i64 + n } else { *n };
                    if let Some(found) = usize::try_from(index).ok().and_then(|i| list.get(i)) {
                        next.push(found);
                    }
                }
                Segment::Wildcard => match v {
                    Value::Array(list) => next.extend(list.iter()),
                    Value::Object(map) => next.extend(map.values()),
                    _ => {}
                },
                Segment::Filter(filter) => {
                    for item in v.as_array()? {
                        if filter_passes(item, filter) {
                            next.push(item);
                        }
                    }
                }
            }
        }
        current = next;
    }
    Some(current)
}

/// Whether a list item passes a filter.
fn filter_passes(item: &Value, filter: &Filter) -> bool {
    let Some(found) = eval_json_path(item, &filter.left) else { return false };
    let Some(left) = found.first() else { return false };
    let Some((op, literal)) = &filter.compare else { return true };
    let ordering = match (literal, left) {
        (Literal::Str(s), Value::String(l)) => l.as_str().partial_cmp(s.as_str()),
        (Literal::Num(n), Value::Number(l)) => l.as_f64().and_then(|l| l.partial_cmp(n)),
        (Literal::Bool(b), Value::Bool(l)) => match op {
            CompareOp::Eq => return l == b,
            CompareOp::Ne => return l != b,
            _ => return false,
        },
        _ => None,
    };
    let Some(ordering) = ordering else { return false };
    match op {
        CompareOp::Eq => ordering.is_eq(),
        CompareOp::Ne => ordering.is_ne(),
        CompareOp::Lt => ordering.is_lt(),
        CompareOp::Le => ordering.is_le(),
        CompareOp::Gt => ordering.is_gt(),
        CompareOp::Ge => ordering.is_ge(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::registry::Registry;

    const KUBECTL_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    fn now() -> Timestamp {
        "2026-11-25T12:00:00Z".parse().unwrap()
    }

    fn builtin(group: &str, kind: &str) -> ResourceType {
        let registry = Registry::default();
        registry.by_kind(group, kind).map(|rt| (*rt).clone()).unwrap()
    }

    fn column_names(t: &Value) -> Vec<(String, i64)> {
        t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["priority"].as_i64().unwrap()))
            .collect()
    }

    fn names(t: &Value) -> Vec<&str> {
        t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect()
    }

    fn cells(t: &Value, row: usize) -> Vec<Value> {
        t["rows"][row]["cells"].as_array().unwrap().clone()
    }

    #[test]
    fn wants_table_on_kubectl_accept() {
        assert!(wants_table(KUBECTL_ACCEPT));
        assert!(wants_table("application/json;as=Table;v=v1beta1;g=meta.k8s.io"));
        assert!(wants_table("application/json; as=Table; v=v1; g=meta.k8s.io"));
        assert!(!wants_table("application/json"));
        assert!(!wants_table(""));
        assert!(!wants_table("*/*"));
        assert!(!wants_table("application/json;as=Table;v=v2;g=meta.k8s.io"));
        assert!(!wants_table("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"));
        // The client prefers the plain object.
        assert!(!wants_table("application/json,application/json;as=Table;v=v1;g=meta.k8s.io"));
        assert!(wants_table("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io"));
        // kubectl with protobuf: the JSON Table is the first range we can answer.
        assert!(wants_table(
            "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
    }

    #[test]
    fn include_object_parse() {
        assert_eq!(IncludeObject::parse(None), IncludeObject::Metadata);
        assert_eq!(IncludeObject::parse(Some("None")), IncludeObject::None);
        assert_eq!(IncludeObject::parse(Some("Metadata")), IncludeObject::Metadata);
        assert_eq!(IncludeObject::parse(Some("Object")), IncludeObject::Object);
        assert_eq!(IncludeObject::parse(Some("bogus")), IncludeObject::Metadata);
    }

    #[test]
    fn human_duration_edges() {
        let s = |n: i128| human_duration(n * 1_000_000_000);
        assert_eq!(s(-3), "<invalid>");
        assert_eq!(s(-2), "<invalid>");
        assert_eq!(human_duration(-1_999_999_999), "0s");
        assert_eq!(s(-1), "0s");
        assert_eq!(s(0), "0s");
        assert_eq!(s(45), "45s");
        assert_eq!(s(119), "119s");
        assert_eq!(s(120), "2m");
        assert_eq!(s(312), "5m12s");
        assert_eq!(s(599), "9m59s");
        assert_eq!(s(600), "10m");
        assert_eq!(s(179 * 60 + 59), "179m");
        assert_eq!(s(3 * 3600), "3h");
        assert_eq!(s(3 * 3600 + 5 * 60), "3h5m");
        assert_eq!(s(8 * 3600), "8h");
        assert_eq!(s(47 * 3600 + 59 * 60), "47h");
        assert_eq!(s(48 * 3600), "2d");
        assert_eq!(s(53 * 3600), "2d5h");
        assert_eq!(s(8 * 86400), "8d");
        assert_eq!(s(30 * 86400), "30d");
        assert_eq!(s(729 * 86400), "729d");
        assert_eq!(s(730 * 86400), "2y");
        assert_eq!(s(740 * 86400), "2y10d");
        assert_eq!(s(8 * 365 * 86400 + 100 * 86400), "8y");
        assert_eq!(human_duration(i128::MAX), "292y");
    }

    #[test]
    fn age_cells() {
        assert_eq!(since(Some("2026-11-25T11:59:15Z"), now()), "45s");
        assert_eq!(since(Some("2026-11-25T11:54:48Z"), now()), "5m12s");
        assert_eq!(since(None, now()), "<unknown>");
        assert_eq!(since(Some("not a time"), now()), "<unknown>");
        assert_eq!(since(Some("0001-01-01T00:00:00Z"), now()), "<unknown>");
        assert_eq!(since(Some("2026-11-25T12:00:30Z"), now()), "<invalid>");
    }

    #[test]
    fn deployment_with_status() {
        let rt = builtin("apps", "Deployment");
        let d = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2026-11-25T08:55:00Z", "resourceVersion": "7"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web", "tier": "front"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "sidecar", "image": "busybox"}]}}
            },
            "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
        });
        let t = table(&rt, std::slice::from_ref(&d), "42", IncludeObject::Metadata, now());
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(t["metadata"]["resourceVersion"], "42");
        assert_eq!(
            column_names(&t),
            [
                ("Name", 0),
                ("Ready", 0),
                ("Up-to-date", 0),
                ("Available", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1)
            ]
            .map(|(n, p)| (n.to_string(), p))
        );
        assert_eq!(t["columnDefinitions"][0]["format"], "name");
        assert_eq!(t["columnDefinitions"][0]["type"], "string");
        assert_eq!(
            cells(&t, 0),
            vec![
                json!("web"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("3h5m"),
                json!("nginx,sidecar"),
                json!("nginx:1.27,busybox"),
                json!("app=web,env in (dev,prod),tier=front"),
            ]
        );
        let object = &t["rows"][0]["object"];
        assert_eq!(object["kind"], "PartialObjectMetadata");
        assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(object["metadata"], d["metadata"]);

        let full = table(&rt, std::slice::from_ref(&d), "42", IncludeObject::Object, now());
        assert_eq!(full["rows"][0]["object"], d);
        let none = table(&rt, &[d], "42", IncludeObject::None, now());
        assert!(none["rows"][0].get("object").is_none());
    }

    #[test]
    fn deployment_missing_everything() {
        let rt = builtin("apps", "Deployment");
        let t = table(&rt, &[json!({}), json!(null), json!("x")], "", IncludeObject::Metadata, now());
        assert_eq!(t["metadata"], json!({}));
        assert_eq!(
            cells(&t, 0),
            vec![json!(""), json!("0/1"), json!(0), json!(0), json!("<unknown>"), json!(""), json!(""), json!("")]
        );
        assert_eq!(t["rows"][1]["object"]["metadata"], json!({}));
    }

    #[test]
    fn service_cells() {
        let rt = builtin("", "Service");
        let svc = json!({
            "metadata": {"name": "web", "creationTimestamp": "2026-11-23T07:00:00Z"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"], "selector": {"app": "web"},
                     "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}]}
        });
        let headless = json!({"metadata": {"name": "db"}, "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}});
        let lb = json!({
            "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.20"], "externalIPs": ["1.2.3.4"]},
            "status": {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example.com"}]}}
        });
        let pending =
            json!({"metadata": {"name": "p"}, "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.21"]}});
        let external =
            json!({"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "example.com"}});
        let t = table(&rt, &[svc, headless, lb, pending, external], "1", IncludeObject::None, now());
        assert_eq!(names(&t), ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]);
        assert_eq!(t["columnDefinitions"][6]["priority"], 1);
        assert_eq!(
            cells(&t, 0),
            vec![
                json!("web"),
                json!("NodePort"),
                json!("10.96.0.12"),
                json!("<none>"),
                json!("80:30080/TCP,53/UDP"),
                json!("2d5h"),
                json!("app=web")
            ]
        );
        assert_eq!(
            cells(&t, 1),
            vec![
                json!("db"),
                json!("ClusterIP"),
                json!("None"),
                json!("<none>"),
                json!("5432/TCP"),
                json!("<unknown>"),
                json!("<none>")
            ]
        );
        assert_eq!(cells(&t, 2)[3], json!("5.6.7.8,lb.example.com,1.2.3.4"));
        assert_eq!(cells(&t, 3)[3], json!("<pending>"));
        assert_eq!(cells(&t, 3)[4], json!("<none>"));
        assert_eq!(cells(&t, 4)[2], json!("<none>"));
        assert_eq!(cells(&t, 4)[3], json!("example.com"));
    }

    #[test]
    fn pod_cells() {
        let rt = builtin("", "Pod");
        let running = json!({
            "metadata": {"name": "web-0", "creationTimestamp": "2026-11-25T11:00:00Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "a"}, {"name": "b"}],
                     "readinessGates": [{"conditionType": "example.com/ready"}]},
            "status": {
                "phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
                "conditions": [{"type": "Ready", "status": "True"}, {"type": "example.com/ready", "status": "False"}],
                "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}},
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-25T11:55:00Z"}}},
                    {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {}}}
                ]
            }
        });
        let pending = json!({
            "metadata": {"name": "web-1", "creationTimestamp": "2026-11-25T11:59:50Z"},
            "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "a", "ready": false, "state": {"waiting": {"reason": "ContainerCreating"}}}]}
        });
        let init = json!({
            "metadata": {"name": "web-2"},
            "spec": {"initContainers": [{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}], "containers": [{"name": "a"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "setup", "state": {"terminated": {"exitCode": 0}}},
                {"name": "proxy", "started": false, "state": {"waiting": {"reason": "PodInitializing"}}}
            ]}
        });
        let done = json!({"metadata": {"name": "job-x"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Succeeded", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
        let deleting = json!({"metadata": {"name": "old", "deletionTimestamp": "2026-11-25T11:59:00Z"}, "status": {"phase": "Running"}});
        let t = table(&rt, &[running, pending, init, done, deleting], "1", IncludeObject::Metadata, now());
        assert_eq!(
            column_names(&t),
            [
                ("Name", 0),
                ("Ready", 0),
                ("Status", 0),
                ("Restarts", 0),
                ("Age", 0),
                ("IP", 1),
                ("Node", 1),
                ("Nominated Node", 1),
                ("Readiness Gates", 1)
            ]
            .map(|(n, p)| (n.to_string(), p))
        );
        assert_eq!(
            cells(&t, 0),
            vec![
                json!("web-0"),
                json!("2/2"),
                json!("Running"),
                json!("2 (5m ago)"),
                json!("60m"),
                json!("10.0.0.5"),
                json!("node-1"),
                json!("<none>"),
                json!("0/1")
            ]
        );
        assert_eq!(
            cells(&t, 1)[..5],
            [json!("web-1"), json!("0/1"), json!("ContainerCreating"), json!("0"), json!("10s")]
        );
        assert_eq!(cells(&t, 1)[5..], [json!("<none>"), json!("<none>"), json!("<none>"), json!("<none>")]);
        assert_eq!(cells(&t, 2)[1..3], [json!("0/2"), json!("Init:1/2")]);
        assert_eq!(cells(&t, 3)[2], json!("Completed"));
        assert_eq!(
            t["rows"][3]["conditions"],
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
        );
        assert!(t["rows"][0].get("conditions").is_none());
        assert_eq!(cells(&t, 4)[1..3], [json!("0/0"), json!("Terminating")]);
    }

    #[test]
    fn simple_kinds() {
        let ns = table(
            &builtin("", "Namespace"),
            &[json!({"metadata": {"name": "default"}, "status": {"phase": "Active"}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&ns), ["Name", "Status", "Age"]);
        assert_eq!(cells(&ns, 0), vec![json!("default"), json!("Active"), json!("<unknown>")]);

        let cm = table(
            &builtin("", "ConfigMap"),
            &[json!({"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": ""}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&cm), ["Name", "Data", "Age"]);
        assert_eq!(cells(&cm, 0)[1], json!(3));

        let secret = table(
            &builtin("", "Secret"),
            &[json!({"metadata": {"name": "s"}, "data": {"a": "MQ=="}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&secret), ["Name", "Type", "Data", "Age"]);
        assert_eq!(cells(&secret, 0)[1..3], [json!("Opaque"), json!(1)]);

        let sa = table(
            &builtin("", "ServiceAccount"),
            &[json!({"metadata": {"name": "default"}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&sa), ["Name", "Secrets", "Age"]);
        assert_eq!(cells(&sa, 0)[1], json!(0));

        let sts = table(
            &builtin("apps", "StatefulSet"),
            &[json!({"metadata": {"name": "db"}, "spec": {"replicas": 2}, "status": {"readyReplicas": 1}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(column_names(&sts).iter().filter(|(_, p)| *p == 0).count(), 3);
        assert_eq!(names(&sts), ["Name", "Ready", "Age", "Containers", "Images"]);
        assert_eq!(cells(&sts, 0)[1], json!("1/2"));

        let ds = table(
            &builtin("apps", "DaemonSet"),
            &[json!({"metadata": {"name": "agent"}, "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "a", "image": "i"}]}}},
                "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            names(&ds),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        assert_eq!(
            cells(&ds, 0),
            vec![
                json!("agent"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("<unknown>"),
                json!("a"),
                json!("i"),
                json!("app=agent")
            ]
        );

        let job = table(
            &builtin("batch", "Job"),
            &[json!({"metadata": {"name": "j"}, "spec": {"completions": 1},
                "status": {"succeeded": 1, "startTime": "2026-11-25T11:00:00Z", "completionTime": "2026-11-25T11:00:42Z",
                           "conditions": [{"type": "Complete", "status": "True"}]}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            names(&job),
            ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]
        );
        assert_eq!(cells(&job, 0)[1..4], [json!("Complete"), json!("1/1"), json!("42s")]);

        let cj = table(
            &builtin("batch", "CronJob"),
            &[json!({"metadata": {"name": "c"}, "spec": {"schedule": "*/5 * * * *"}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            names(&cj),
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        assert_eq!(
            cells(&cj, 0)[1..6],
            [json!("*/5 * * * *"), json!("<none>"), json!("False"), json!(0), json!("<none>")]
        );

        let rb = table(
            &builtin("rbac.authorization.k8s.io", "RoleBinding"),
            &[json!({"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
                             {"kind": "Group", "name": "devs"}, {"kind": "User", "name": "bob"}]})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&rb), ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]);
        assert_eq!(
            cells(&rb, 0),
            vec![
                json!("rb"),
                json!("ClusterRole/view"),
                json!("<unknown>"),
                json!("alice, bob"),
                json!("devs"),
                json!("ns/sa")
            ]
        );

        let ing = table(
            &builtin("networking.k8s.io", "Ingress"),
            &[
                json!({"metadata": {"name": "i"}, "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.example"}, {}], "tls": [{}]}}),
            ],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&ing), ["Name", "Class", "Hosts", "Address", "Ports", "Age"]);
        assert_eq!(cells(&ing, 0)[1..5], [json!("nginx"), json!("a.example"), json!(""), json!("80, 443")]);

        let np = table(
            &builtin("networking.k8s.io", "NetworkPolicy"),
            &[json!({"metadata": {"name": "deny"}, "spec": {"podSelector": {}}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(cells(&np, 0)[1], json!("<none>"));

        let pvc = table(
            &builtin("", "PersistentVolumeClaim"),
            &[json!({"metadata": {"name": "data"}, "spec": {"volumeName": "pv-1", "storageClassName": "standard"},
                "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            names(&pvc),
            [
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age",
                "VolumeMode"
            ]
        );
        assert_eq!(
            cells(&pvc, 0),
            vec![
                json!("data"),
                json!("Bound"),
                json!("pv-1"),
                json!("1Gi"),
                json!("RWO"),
                json!("standard"),
                json!("<unset>"),
                json!("<unknown>"),
                json!("Filesystem")
            ]
        );

        let hpa = table(
            &builtin("autoscaling", "HorizontalPodAutoscaler"),
            &[
                json!({"metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
                "status": {"currentReplicas": 2, "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 41}}}]}}),
            ],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&hpa), ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"]);
        assert_eq!(
            cells(&hpa, 0)[1..6],
            [json!("Deployment/web"), json!("cpu: 41%/80%"), json!("1"), json!(5), json!(2)]
        );

        let pdb = table(
            &builtin("policy", "PodDisruptionBudget"),
            &[json!({"metadata": {"name": "p"}, "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(names(&pdb), ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]);
        assert_eq!(cells(&pdb, 0)[1..4], [json!("50%"), json!("N/A"), json!(1)]);

        let lease = table(
            &builtin("coordination.k8s.io", "Lease"),
            &[json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(cells(&lease, 0)[..2], [json!("l"), json!("me")]);

        let sc = table(
            &builtin("storage.k8s.io", "StorageClass"),
            &[
                json!({"metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "rancher.io/local-path"}),
            ],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            cells(&sc, 0)[..5],
            [
                json!("standard (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("Immediate"),
                json!(false)
            ]
        );

        let ev = table(
            &builtin("", "Event"),
            &[json!({"metadata": {"name": "web.1"}, "type": "Normal", "reason": "Scheduled", "message": " ok \n",
                "involvedObject": {"kind": "Pod", "name": "web-0"}, "source": {"component": "scheduler"},
                "firstTimestamp": "2026-11-25T11:59:00Z", "lastTimestamp": "2026-11-25T11:59:30Z", "count": 2})],
            "1",
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            names(&ev),
            ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"]
        );
        assert_eq!(
            cells(&ev, 0),
            vec![
                json!("30s"),
                json!("Normal"),
                json!("Scheduled"),
                json!("pod/web-0"),
                json!(""),
                json!("scheduler"),
                json!("ok"),
                json!("60s"),
                json!(2),
                json!("web.1")
            ]
        );
    }

    #[test]
    fn default_columns_for_kinds_without_printer() {
        for (group, kind) in [
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("", "LimitRange"),
        ] {
            let t = table(
                &builtin(group, kind),
                &[
                    json!({"metadata": {"name": "x", "creationTimestamp": "2026-11-25T11:21:39Z"}}),
                    json!({"metadata": {"name": "y"}}),
                ],
                "5",
                IncludeObject::Metadata,
                now(),
            );
            assert_eq!(names(&t), ["Name", "Created At"], "{kind}");
            assert_eq!(t["columnDefinitions"][1]["type"], "date");
            assert_eq!(cells(&t, 0), vec![json!("x"), json!("2026-11-25T11:21:39Z")]);
            assert_eq!(cells(&t, 1), vec![json!("y"), json!("0001-01-01T00:00:00Z")]);
        }
    }

    fn crd(columns: Value) -> ResourceType {
        let crd = json!({
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": true, "storage": true, "additionalPrinterColumns": columns}]}
        });
        ResourceType::from_crd(&crd).unwrap()
    }

    #[test]
    fn custom_resource_with_printer_columns() {
        let rt = crd(json!([
            {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
            {"name": "Reason", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Ready')].reason", "priority": 1},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "How many."},
            {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
            {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
            {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name"},
            {"name": "Last", "type": "string", "jsonPath": ".spec.items[-1].name"},
            {"name": "Size", "type": "string", "jsonPath": ".spec.size"},
            {"name": "Labels", "type": "string", "jsonPath": ".metadata.labels"},
            {"name": "App", "type": "string", "jsonPath": ".metadata.labels['app.kubernetes.io/name']"},
            {"name": "Weird", "type": "string", "jsonPath": "..status"},
            {"name": "Started", "type": "date", "jsonPath": ".status.startedAt"},
            {"name": "Missing", "type": "string", "jsonPath": ".status.nope"}
        ]));
        let w = json!({
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w1", "labels": {"z": "1", "app.kubernetes.io/name": "widget"}, "creationTimestamp": "2026-11-25T11:00:00Z"},
            "spec": {"replicas": 3, "ratio": 0.5, "paused": false, "size": 2.0, "items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
            "status": {"startedAt": "2026-11-25T11:59:15Z", "conditions": [
                {"type": "Synced", "status": "False"},
                {"type": "Ready", "status": "True", "reason": "AllGood"}
            ]}
        });
        let t = table(&rt, &[w, json!({"metadata": {"name": "bare"}})], "9", IncludeObject::Metadata, now());
        assert_eq!(
            names(&t),
            [
                "Name", "Ready", "Reason", "Replicas", "Ratio", "Paused", "First", "Last", "Size", "Labels", "App",
                "Weird", "Started", "Missing"
            ]
        );
        let defs = t["columnDefinitions"].as_array().unwrap();
        assert_eq!(defs[2]["priority"], 1);
        assert_eq!(defs[3]["description"], "How many.");
        assert_eq!(defs[3]["type"], "integer");
        assert_eq!(
            defs[1]["description"],
            "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type==\"Ready\")].status"
        );
        assert_eq!(
            cells(&t, 0),
            vec![
                json!("w1"),
                json!("True"),
                json!("AllGood"),
                json!(3),
                json!(0.5),
                json!(false),
                json!("a"),
                json!("c"),
                json!("2"),
                json!("{\"app.kubernetes.io/name\":\"widget\",\"z\":\"1\"}"),
                json!("widget"),
                Value::Null,
                json!("45s"),
                Value::Null,
            ]
        );
        let bare = cells(&t, 1);
        assert_eq!(bare[0], json!("bare"));
        assert!(bare[1..].iter().all(Value::is_null), "{bare:?}");
    }

    #[test]
    fn custom_resource_without_printer_columns() {
        let rt = crd(json!([]));
        let t = table(
            &rt,
            &[json!({"metadata": {"name": "w", "creationTimestamp": "2026-11-20T07:00:00Z"}})],
            "3",
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(names(&t), ["Name", "Age"]);
        assert_eq!(t["columnDefinitions"][1]["type"], "date");
        assert_eq!(cells(&t, 0), vec![json!("w"), json!("5d5h")]);
    }

    #[test]
    fn json_path_parsing() {
        assert_eq!(
            parse_json_path(".status.conditions[?(@.type==\"Ready\")].status"),
            Some(vec![
                Segment::Field("status".into()),
                Segment::Field("conditions".into()),
                Segment::Filter(Filter {
                    left: vec![Segment::Field("type".into())],
                    compare: Some((CompareOp::Eq, Literal::Str("Ready".into())))
                }),
                Segment::Field("status".into()),
            ])
        );
        assert_eq!(
            parse_json_path("{.spec.replicas}"),
            Some(vec![Segment::Field("spec".into()), Segment::Field("replicas".into())])
        );
        assert_eq!(parse_json_path("$.a[2]"), Some(vec![Segment::Field("a".into()), Segment::Index(2)]));
        assert_eq!(
            parse_json_path(".a[*].b"),
            Some(vec![Segment::Field("a".into()), Segment::Wildcard, Segment::Field("b".into())])
        );
        assert_eq!(parse_json_path(".a\\.b"), Some(vec![Segment::Field("a.b".into())]));
        assert_eq!(parse_json_path("spec.replicas"), None);
        assert_eq!(parse_json_path(".a[1:2]"), None);
        assert_eq!(parse_json_path(".a[?(@.x == @.y)]"), None);
        assert_eq!(parse_json_path(".a[?(@.x"), None);
        assert_eq!(parse_json_path("..a"), None);
        let o = json!({"a": [{"n": 1, "v": "x"}, {"n": 5, "v": "y"}, {"v": "z", "f": true}]});
        let find = |p: &str| {
            let path = parse_json_path(p).unwrap();
            eval_json_path(&o, &path).map(|found| found.into_iter().cloned().collect::<Vec<_>>())
        };
        assert_eq!(find(".a[?(@.n > 2)].v"), Some(vec![json!("y")]));
        assert_eq!(find(".a[?(@.n != 1)].v"), Some(vec![json!("y")]));
        assert_eq!(find(".a[?(@.f)].v"), Some(vec![json!("z")]));
        assert_eq!(find(".a[?(@.f == true)].v"), Some(vec![json!("z")]));
        assert_eq!(find(".a[*].v"), Some(vec![json!("x"), json!("y"), json!("z")]));
        assert_eq!(find(".a[7].v"), Some(vec![]));
        assert_eq!(find(".a.v"), Some(vec![]));
        assert_eq!(find(".a[0][0]"), None);
        assert_eq!(find(""), Some(vec![o.clone()]));
    }

    #[test]
    fn go_formatting() {
        assert_eq!(go_float_text(0.5), "0.5");
        assert_eq!(go_float_text(2.0), "2");
        assert_eq!(go_float_text(123456.0), "123456");
        assert_eq!(go_float_text(1_000_000.0), "1e+06");
        assert_eq!(go_float_text(1_234_567.0), "1.234567e+06");
        assert_eq!(go_float_text(0.0001), "0.0001");
        assert_eq!(go_float_text(0.00001), "1e-05");
        assert_eq!(go_float_text(-2.5), "-2.5");
        assert_eq!(go_json(&json!({"b": [1, 2.0], "a": "<&>"})), r#"{"a":"\u003c\u0026\u003e","b":[1,2]}"#);
        assert_eq!(go_float_json(3.0), json!(3));
        assert_eq!(go_float_json(0.25), json!(0.25));
    }

    #[test]
    fn label_selectors() {
        assert_eq!(label_selector(None), Ok(String::new()));
        assert_eq!(label_selector(Some(&json!({}))), Ok(String::new()));
        assert_eq!(
            label_selector(Some(&json!({"matchExpressions": [
                {"key": "b", "operator": "Exists"},
                {"key": "a", "operator": "NotIn", "values": ["y", "x"]},
                {"key": "c", "operator": "DoesNotExist"}
            ]}))),
            Ok("a notin (x,y),b,!c".into())
        );
        assert_eq!(label_selector(Some(&json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]}))), Err(()));
        assert_eq!(
            format_label_selector(Some(&json!({"matchExpressions": [{"key": "a", "operator": "In"}]}))),
            "<error>"
        );
        assert_eq!(format_labels(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
        assert_eq!(format_labels(None), "<none>");
    }
}
