/**
 * Where things are on a provisioned lab: the addresses the policies listen on and the paths
 * provisioning writes. Trial and sweep code import these instead of repeating them.
 */

/** The sender's SMTP listener where traffic-gen submits (on the sender itself). traffic-gen's own default. */
export const SENDER_SUBMISSION_ADDRESS = "127.0.0.1:2025";
/**
 * The port of the sender's second SMTP listener, on its lab address, for traffic-gen on the
 * generator host (relaying for the generator's address alone). The same port as the loopback one.
 */
export const SENDER_GENERATOR_PORT = 2025;
/** kumod's HTTP listener on the sender (metrics), loopback only. */
export const SENDER_HTTP_LISTEN = "127.0.0.1:8000";
/** kumod's HTTP listener on the sink (metrics), loopback only. */
export const SINK_HTTP_LISTEN = "127.0.0.1:8002";
export const SENDER_METRICS_URL = `http://${SENDER_HTTP_LISTEN}/metrics`;
export const SINK_METRICS_URL = `http://${SINK_HTTP_LISTEN}/metrics`;

export const KUMOD_PATH = "/opt/kumomta/sbin/kumod";
export const POLICY_DIR = "/opt/kumomta/etc/policy";
export const SINK_POLICY_PATH = `${POLICY_DIR}/sink.lua`;
export const SENDER_POLICY_PATH = `${POLICY_DIR}/init.lua`;
/** The packaged init.lua, kept aside once (never overwritten on re-runs). */
export const SENDER_ORIGINAL_POLICY_PATH = `${POLICY_DIR}/init.lua.kumolab-orig`;
/** A line of lab-config/policy/init.lua that tells our sender policy from the packaged one. */
export const SENDER_POLICY_MARKER = "kumolab sender policy";
/** The user kumod drops to (`--user`), created by the package. */
export const KUMOD_USER = "kumod";

/** Our state on each host. */
export const LAB_ETC_DIR = "/etc/kumolab";
export const LAB_RUN_DIR = "/run/kumolab";
export const PORT25_NFT_FILE = `${LAB_ETC_DIR}/port25.nft`;
export const PORT25_TABLE = "kumolab_port25";
/** Ports the lab blocks outbound on every host. */
export const BLOCKED_PORTS = [25, 465, 587] as const;

/** Pid-file supervision (hosts without systemd). */
export const KUMOD_PID_FILE = `${LAB_RUN_DIR}/kumod.pid`;
/** What the running kumod was started with; a difference means restart. */
export const KUMOD_LAUNCH_FILE = `${LAB_RUN_DIR}/kumod.launch`;
export const KUMOD_SUPERVISED_LOG = "/var/log/kumomta/kumolab-kumod.log";

/** systemd (hosts with it): our unit for the sink, and a drop-in for the packaged sender unit. */
export const PACKAGED_UNIT = "kumomta.service";
export const SINK_UNIT = "kumolab-sink.service";
export const SINK_UNIT_FILE = `/etc/systemd/system/${SINK_UNIT}`;
export const SENDER_DROPIN_FILE = "/etc/systemd/system/kumomta.service.d/kumolab.conf";
