"""The key that encrypts two-step secrets: SMARTBRAIN_SECRET_KEY, or one made once in the data
directory, owner-only, the same for every process that starts at once."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from backend.config import Config
from backend.secret_box import KEY_FILE, SecretBox, master_secret

ROOT = Path(__file__).resolve().parents[2]


def test_a_configured_key_is_used_and_no_key_file_is_made(tmp_path):
    configured = "k" * 40
    assert master_secret(configured, tmp_path / "data") == configured.encode()
    assert not (tmp_path / "data").exists()


def test_without_one_a_key_is_made_once_owner_only_and_kept(tmp_path):
    data_dir = tmp_path / "data"
    first = master_secret(None, data_dir)
    assert len(first) >= 43
    assert (data_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert data_dir.stat().st_mode & 0o077 == 0
    assert master_secret(None, data_dir) == first
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]  # no draft left behind


def test_processes_starting_at_once_all_read_the_one_key(tmp_path):
    data_dir = tmp_path / "data"
    script = "import sys; from pathlib import Path; from backend.secret_box import master_secret;"
    script += "print(master_secret(None, Path(sys.argv[1])).decode())"
    command = [sys.executable, "-c", script, str(data_dir)]
    with ThreadPoolExecutor(6) as pool:
        keys = list(
            pool.map(
                lambda _: subprocess.run(
                    command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
                ).stdout.strip(),
                range(6),
            )
        )
    assert len(set(keys)) == 1 and keys[0]
    assert (data_dir / KEY_FILE).read_text().strip() == keys[0]


def test_what_one_key_encrypts_another_cannot_read_nor_fingerprint_alike():
    box, other = SecretBox(b"a" * 43), SecretBox(b"b" * 43)
    sealed = box.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert "JBSWY3DP" not in sealed
    assert box.decrypt(sealed) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidToken):
        other.decrypt(sealed)
    assert box.fingerprint("7k2mqx9d4e") == box.fingerprint("7k2mqx9d4e")
    assert box.fingerprint("7k2mqx9d4e") != other.fingerprint("7k2mqx9d4e")


def test_a_short_secret_key_stops_start_up():
    with pytest.raises(ValueError, match="SMARTBRAIN_SECRET_KEY"):
        Config({"SMARTBRAIN_SECRET_KEY": "too short"})
    assert Config({"SMARTBRAIN_SECRET_KEY": "s" * 32}).secret_key == "s" * 32
