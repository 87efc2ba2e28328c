# fcsync — see README.md. Every target works on a fresh clone (Go 1.26; kcat for the interop tests).
GO        ?= go
FUNCTIONS := batch stream cdc
GOFLAGS_BUILD := -trimpath -ldflags="-s -w"

.PHONY: build test demo bench lint fuzz clean

build: ## every function to dist/<name>/main (linux/amd64, static), and localrun
	@for f in $(FUNCTIONS); do \
	  echo "build dist/$$f/main"; \
	  GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o dist/$$f/main ./functions/$$f || exit 1; \
	done
	mkdir -p dist/batch/jobs dist/stream/jobs dist/cdc/jobs
	cp infra/jobs/*.yaml infra/jobs/*.json dist/batch/jobs/
	cp infra/jobs/stream/* dist/stream/jobs/
	cp infra/jobs/cdc/* dist/cdc/jobs/
	cp infra/deploy/alerts.yaml dist/cdc/alerts.yaml
	$(GO) build -o dist/localrun ./localrun

test: lint ## unit, end-to-end (kfake, kcat, FC runtime emulator) and fuzz seed corpora
	$(GO) test -count=1 -timeout 30m ./...

demo: ## the main job end to end on embedded defaults
	$(GO) run ./localrun demo

# The stream benchmark's workload generator, shared with the peers' measurements (../shared beside the repo).
WORKLOAD ?= $(abspath ../shared/bench/stream-workload)
STREAM_RECORDS ?= 200000

bench: ## BENCH lines: window read (fcsync vs franz-go; on Kafka 4 also vs the Java consumer), stream batch (peers' workload), MaxCompute upload, cdc
	$(GO) build -o dist/benchread ./localrun/benchread
	$(GO) build -o dist/localrun ./localrun
	./dist/localrun bench --benchread dist/benchread
	./dist/localrun bench-kafka4 --benchread dist/benchread
	mkdir -p dist/stream-workload
	cd dist/stream-workload && python3 $(WORKLOAD)/gen_data.py $(STREAM_RECORDS) >/dev/null
	./dist/localrun bench-stream --input dist/stream-workload/input.jsonl --batch 10000 --memory 128
	$(GO) build -o dist/benchupload ./localrun/benchupload
	./dist/benchupload -codec snappy
	./dist/benchupload -codec deflate
	./dist/localrun cdc bench
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2x ./shared/...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz: ## a short fuzz run of every fuzz target
	@for pkg in $$(git grep -l '^func Fuzz' -- '*_test.go' | xargs -n1 dirname | sort -u | sed 's|^|./|'); do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf dist .fcsync
