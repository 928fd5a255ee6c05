module github.com/alfred/mr-drift/test/cluster/go/pki

go 1.26.0
