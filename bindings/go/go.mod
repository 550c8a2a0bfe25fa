module github.com/digitinfer/digitinfer/bindings/go

go 1.21
