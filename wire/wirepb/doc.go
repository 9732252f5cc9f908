// Package wirepb is the generated protobuf and gRPC code of the exchange between a DataMix
// edge and its cloud (wire.proto): the Cloud service with its Info and Infer calls. Package
// wire serves and calls it; nothing else should need this package.
package wirepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative wire.proto
