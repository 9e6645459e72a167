// HTTP/1.1 request handler for the leak corpus.
//
//	server PORT MODE BYTES [CACHE_ENTRIES]
//
// Every request builds a record of BYTES bytes (a request log entry) and
// answers with its checksum. MODE: leak (appended to a global request log that
// is never trimmed), clean (dropped after the response), cache (an LRU cache
// of CACHE_ENTRIES keyed by path: fills, then plateaus).
package main

import (
	"container/list"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

type entry struct {
	key    string
	record []byte
}

var (
	mu         sync.Mutex
	requestLog [][]byte // leak: grows forever
	lru        = list.New()
	index      = map[string]*list.Element{}
)

func main() {
	port, mode := os.Args[1], os.Args[2]
	size, _ := strconv.Atoi(os.Args[3])
	maxEntries := 0
	if len(os.Args) > 4 {
		maxEntries, _ = strconv.Atoi(os.Args[4])
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		head := fmt.Sprintf("%s %s %s %s\n", time.Now().Format(time.RFC3339Nano), r.Method, r.URL.Path, r.UserAgent())
		record := make([]byte, 0, size)
		for len(record) < size {
			n := size - len(record)
			if n > len(head) {
				n = len(head)
			}
			record = append(record, head[:n]...)
		}
		mu.Lock()
		switch mode {
		case "leak":
			requestLog = append(requestLog, record)
		case "cache":
			if e, ok := index[r.URL.Path]; ok {
				lru.MoveToFront(e)
				e.Value.(*entry).record = record
			} else {
				index[r.URL.Path] = lru.PushFront(&entry{r.URL.Path, record})
				if lru.Len() > maxEntries {
					last := lru.Back()
					lru.Remove(last)
					delete(index, last.Value.(*entry).key)
				}
			}
		}
		mu.Unlock()
		fmt.Fprintf(w, "ok %d\n", crc32.ChecksumIEEE(record))
	})
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
