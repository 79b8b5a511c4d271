#ifndef CRABBITMQ_SHIM_H
#define CRABBITMQ_SHIM_H
// librabbitmq (rabbitmq-c) 0.11 as Debian ships it. Only the AMQP module imports this.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#endif
