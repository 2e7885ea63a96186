-- kumolab sink policy (template; rendered by scripts/provision/policies.ts).
-- Accepts mail from the lab's sender only and discards every message: the sink must never
-- deliver anything anywhere. A workload may make it refuse a share (smart sink). It also listens on port 25 so that the lab's port-25 proof has a
-- real listener to miss (the proof passes only if the sender cannot reach it).
local kumo = require 'kumo'

-- Who may relay through the sink: the sender (with prefetch, both sender slots), and the sink itself (for local checks).
local RELAY_HOSTS = { '127.0.0.1', '::1', {{SENDER_CIDRS}} }

kumo.on('init', function()
  -- Spools must be defined even though nothing is ever spooled: every message goes to 'null'.
  kumo.define_spool {
    name = 'data',
    path = '/var/spool/kumomta/data',
    kind = 'RocksDB',
  }
  kumo.define_spool {
    name = 'meta',
    path = '/var/spool/kumomta/meta',
    kind = 'RocksDB',
  }

  -- The port the sender delivers to.
  kumo.start_esmtp_listener {
    listen = '0.0.0.0:{{SINK_PORT}}',
    hostname = 'kumolab-sink',
    relay_hosts = RELAY_HOSTS,
  }
  -- Port 25: a real listener that the port-25 proof must fail to reach.
  kumo.start_esmtp_listener {
    listen = '0.0.0.0:25',
    hostname = 'kumolab-sink',
    relay_hosts = RELAY_HOSTS,
  }

  -- Metrics for the lab, read on the host itself over SSH.
  kumo.start_http_listener {
    listen = '{{HTTP_LISTEN}}',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
end)

{{SINK_ANSWER}}

-- Every message that is not refused is discarded: the 'null' queue drops it once accepted.
kumo.on('smtp_server_message_received', function(msg)
  sink_answer(msg)
  msg:set_meta('queue', 'null')
end)

kumo.on('http_message_generated', function(msg)
  msg:set_meta('queue', 'null')
end)
