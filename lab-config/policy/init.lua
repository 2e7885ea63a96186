-- kumolab sender policy (template; rendered by scripts/provision/policies.ts), installed as the
-- sender's init.lua (the packaged one is kept aside as init.lua.kumolab-orig).
-- traffic-gen submits on loopback; every message, whatever its recipient domain, is routed to
-- the lab's sink by IP literal on the sink's port, never to a real MX and never on port 25.
local kumo = require 'kumo'

-- The one destination: a domain literal, so no DNS is ever consulted.
local SINK_QUEUE = '{{SINK_QUEUE}}'
-- The sink's address with an explicit port.
local SINK_MX = '{{SINK_MX_ADDR}}'

kumo.on('init', function()
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

  -- Where traffic-gen submits (it runs on the sender itself).
  kumo.start_esmtp_listener {
    listen = '{{SUBMISSION_LISTEN}}',
    hostname = 'kumolab-sender',
    relay_hosts = { '127.0.0.1', '::1' },
  }

  kumo.start_http_listener {
    listen = '{{HTTP_LISTEN}}',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
end)

-- Everything goes to one scheduled queue named after the sink's address literal.
kumo.on('smtp_server_message_received', function(msg)
  msg:set_meta('queue', SINK_QUEUE)
end)

kumo.on('http_message_generated', function(msg)
  msg:set_meta('queue', SINK_QUEUE)
end)

-- Whatever queue a message is in, its only MX is the sink, on the sink's port.
kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config {
    protocol = {
      smtp = {
        mx_list = {
          { name = 'kumolab-sink', addr = SINK_MX },
        },
      },
    },
  }
end)
