module github.com/alfred/mr-drift/test/cluster/go/redis

go 1.26.0

// The version Argo CD v3.2.11 requires (its go.mod).
require github.com/alicebob/miniredis/v2 v2.35.0

require github.com/yuin/gopher-lua v1.1.1 // indirect
