-- kumolab sender policy (template; rendered by scripts/provision/policies.ts), installed as the
-- sender's init.lua (the packaged one is kept aside as init.lua.kumolab-orig).
-- traffic-gen submits on loopback; every message, whatever its recipient domain, is routed to
-- the lab's sink by IP literal on the sink's port, never to a real MX and never on port 25.
local kumo = require 'kumo'

-- The one destination: a domain literal, so no DNS is ever consulted.
local SINK_QUEUE = '{{SINK_QUEUE}}'
-- The sink's SMTP port (never 25). Set on the egress path, which every release honours; a port
-- inside mx_list is accepted only since 2025.10.06.
local SINK_PORT = {{SINK_PORT}}
-- The egress path to the sink: its port, TLS as the lab says (a kumod sink offers STARTTLS with a
-- self-signed certificate, which kumod's default 'Opportunistic' refuses without falling back),
-- and the ready-queue limits in force, recorded with every trial.
local SINK_PATH = {
  smtp_port = SINK_PORT,
  enable_tls = '{{ENABLE_TLS}}',
  max_ready = {{MAX_READY}},
  connection_limit = {{CONNECTION_LIMIT}},
}

kumo.on('init', function()
  kumo.define_spool {
    name = 'data',
    path = '{{SPOOL_DIR}}/data',
    kind = '{{SPOOL_KIND}}',
    flush = {{SPOOL_FLUSH}},
  }
  kumo.define_spool {
    name = 'meta',
    path = '{{SPOOL_DIR}}/meta',
    kind = '{{SPOOL_KIND}}',
    flush = {{SPOOL_FLUSH}},
  }

{{LOCAL_LOGS}}

  -- Where traffic-gen submits (it runs on the sender itself).
  kumo.start_esmtp_listener {
    listen = '{{SUBMISSION_LISTEN}}',
    hostname = 'kumolab-sender',
    relay_hosts = { '127.0.0.1', '::1' },
    -- kumod's default (10,000) answers 421 and hangs up on the next message, which stops a
    -- traffic-gen client for good: a run with more messages per connection would lose clients.
    max_messages_per_connection = 1000000000,
  }
{{GENERATOR_LISTENER}}

  kumo.start_http_listener {
    listen = '{{HTTP_LISTEN}}',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
end)

{{DKIM}}

{{ROUTING}}

kumo.on('smtp_server_message_received', function(msg)
  assign_queue(msg)
  dkim_sign(msg)
end)

kumo.on('http_message_generated', function(msg)
  assign_queue(msg)
  dkim_sign(msg)
end)

-- Whatever queue a message is in, its only MX is the sink. Retries are short so that a transient
-- failure shows up within the trial (kumod's default retry_interval is 20 minutes).
kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config {
    retry_interval = '{{RETRY_INTERVAL}}',
    max_retry_interval = '{{MAX_RETRY_INTERVAL}}',
    egress_pool = egress_pool_for(tenant),
    protocol = {
      smtp = {
        mx_list = { SINK_QUEUE },
      },
    },
  }
end)

kumo.on('get_egress_path_config', function(routing_domain, egress_source, site_name)
  return kumo.make_egress_path(egress_path_for(routing_domain))
end)
