#ifndef CRABBITMQ_SHIM_H
#define CRABBITMQ_SHIM_H
// librabbitmq (rabbitmq-c) 0.11 as Debian ships it. Only the AMQP module imports this.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

// amqp_login_with_properties is variadic (the SASL arguments), which Swift cannot call:
// one non-variadic wrapper per SASL method the AMQP module uses.

static inline amqp_rpc_reply_t crabbitmq_login_plain(amqp_connection_state_t state, const char *vhost,
                                                     int channel_max, int frame_max, int heartbeat,
                                                     const amqp_table_t *properties, const char *user,
                                                     const char *password) {
  return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, properties,
                                    AMQP_SASL_METHOD_PLAIN, user, password);
}

static inline amqp_rpc_reply_t crabbitmq_login_external(amqp_connection_state_t state, const char *vhost,
                                                        int channel_max, int frame_max, int heartbeat,
                                                        const amqp_table_t *properties,
                                                        const char *identity) {
  return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, properties,
                                    AMQP_SASL_METHOD_EXTERNAL, identity);
}
#endif
