# The two commands of the README: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= .data
# Real peers the interop tests run against (tests/interop/).
DEB_PACKAGES := curl rsyslog rsyslog-openssl chrony ntpsec-ntpdig snmp snmpd snmptrapd openssh-client sshpass gpsd gpsd-clients \
	linuxptp ethtool socat rdate iproute2 nmap libssl-dev chromium chromium-driver podman runc mmdebstrap

NTPQ := .cache/ntpsec/usr/bin/ntpq

.PHONY: run test lint pytest debs venv reference clean tools bench image

# picocom is for you, on the console pty (README); the tests do not need it.
run: DEB_PACKAGES += picocom
run: debs venv
	@if [ "$$(id -u)" != 0 ] && [ ! -f $(DATA_DIR)/config.toml ]; then \
	  mkdir -p $(DATA_DIR); \
	  printf '[services.ntp]\nport = 11123\n[services.ssh]\nport = 2222\n[services.https]\nport = 8443\n' > $(DATA_DIR)/config.toml; \
	  echo "not root: NTP on UDP 11123, SSH on TCP 2222, HTTPS on TCP 8443 (see $(DATA_DIR)/config.toml)"; \
	fi
	$(BIN)/timeserver boot --data-dir $(DATA_DIR)

test: debs venv tools lint pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy firmware hal services sim
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest -q

venv: $(STAMP)

# setup.py builds the NTP fast path (C, OpenSSL's libcrypto from libssl-dev).
$(STAMP): pyproject.toml setup.py services/ntp/_fastpath.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Installs the Debian packages that are missing; `apt-get update` runs only when needed.
debs:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null; then sudo=sudo; \
	  else echo "make: root is needed to install:" $$missing >&2; exit 1; fi; \
	  echo "installing Debian packages:" $$missing; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

# ntpq ships inside the ntpsec package, which would replace chrony: take the script only.
tools: $(NTPQ)

$(NTPQ):
	mkdir -p .cache/ntpsec-deb
	cd .cache/ntpsec-deb && (apt-get download ntpsec >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get download ntpsec >/dev/null))
	dpkg-deb -x .cache/ntpsec-deb/ntpsec_*.deb .cache/ntpsec

# Figures beside chronyd, measured in the same run (needs gcc and chrony).
bench: debs venv
	$(BIN)/python tests/bench/run.py

# The container image (Containerfile): a signed bundle of this checkout, verified again
# inside the image. The signing key is made on first use and kept in .cache/image/.
IMAGE ?= localhost/timeserver:latest
IMAGE_BASE ?= docker.io/library/debian:12-slim
IMAGE_KEY ?= .cache/image/signing.key
IMAGE_CONTEXT ?= .cache/image/context
PODMAN ?= podman
IMAGE_BUILD_OPTIONS ?=

image: venv
	@command -v $(firstword $(PODMAN)) >/dev/null || $(MAKE) debs DEB_PACKAGES=podman
	mkdir -p $(IMAGE_CONTEXT)
	test -f $(IMAGE_KEY) || $(BIN)/timeserver firmware keygen --out $(IMAGE_KEY)
	$(BIN)/timeserver firmware build --key $(IMAGE_KEY) --out $(IMAGE_CONTEXT)/timeserver.bundle
	cp $(IMAGE_KEY).pub $(IMAGE_CONTEXT)/firmware-key.pub
	$(PODMAN) build --format docker --build-arg BASE=$(IMAGE_BASE) $(IMAGE_BUILD_OPTIONS) \
	  --file Containerfile --tag $(IMAGE) $(IMAGE_CONTEXT)

reference: venv
	$(BIN)/timeserver config reference > docs/config.md

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache .hypothesis
