import socket
import warnings

import pytest
from pytest_socket import SocketConnectBlockedError


def test_sockets_to_other_hosts_are_blocked_in_tests() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pytest-socket warns before it raises
        with pytest.raises(SocketConnectBlockedError):
            socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_loopback_is_allowed_for_local_fakes() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
