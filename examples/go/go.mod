module github.com/digitinfer/digitinfer/examples/go

go 1.21

require github.com/digitinfer/digitinfer/bindings/go v0.0.0

replace github.com/digitinfer/digitinfer/bindings/go => ../../bindings/go
