"""Local stand-ins for the push gateways (Web Push service, FCM, APNs), speaking their protocols
over TLS on 127.0.0.1 and checking what the real gateways check."""
