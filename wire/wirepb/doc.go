// Package wirepb is the generated protobuf and gRPC code of the exchange between a DataMix
// edge and its cloud (wire.proto): the Cloud service with its Info, Infer and Stream calls,
// and the messages they carry. Package wire serves and calls it; nothing else should need
// this package. Regenerate it with go generate (protoc, protoc-gen-go and protoc-gen-go-grpc on
// the PATH) after editing wire.proto.
//
// # Errors
//
// It has none of its own: decoding errors are protobuf's, and what a malformed request means
// is decided, and answered with a gRPC status, by package wire.
package wirepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative wire.proto
