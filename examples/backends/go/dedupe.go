// Exactly once in a Go backend over Redis, as docs/protocol.md "Exactly once" describes; the same
// keys as the reference server, so both can serve one cluster. Standard library only: Redis is
// spoken through a tiny RESP client below (use your Redis client's Do/SET with NX, PX and GET).
//
//	go run dedupe.go REDIS_URL   reads one request a line on stdin, {"user","uuid","key","ms","fail"},
//	                             runs it once (the handler adds 1 to count:<key> after `ms` ms; with
//	                             `fail` it refuses with 409), and prints {"uuid": …, "reply": <reply
//	                             data>} a line. Stops at the end of its input.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// exactly-once:start
const windowMs = 60000 // the `dedupe` the login reply announces

type ReplyError struct {
	Code int
	Body any
}

func (e *ReplyError) Error() string { return fmt.Sprint(e.Body) }

// RunOnce returns the reply data of request uuid of user as JSON text; handler runs on one node only.
func RunOnce(r *Redis, user, uuid string, handler func() (any, error)) (string, error) {
	key := "mp-socket:dedupe:" + quote(user) + ":" + uuid
	window := strconv.Itoa(windowMs)
	for round := 0; round < 3; round++ {
		// Take the request, or read what is there: "?" while a node runs it, then its reply.
		found, ok, err := r.Do("SET", key, "?", "NX", "PX", window, "GET")
		if err != nil {
			return "", err
		}
		if !ok {
			reply := map[string]any{"error": 0}
			body, err := handler()
			var refused *ReplyError
			if errors.As(err, &refused) {
				reply = map[string]any{"error": refused.Code, "body": refused.Body}
			} else if err != nil {
				return "", err
			} else {
				reply["body"] = body
			}
			text, _ := json.Marshal(reply)
			_, _, err = r.Do("SET", key, string(text), "PX", window)
			return string(text), err
		}
		for ok && found == "?" {
			time.Sleep(20 * time.Millisecond)
			if found, ok, err = r.Do("GET", key); err != nil {
				return "", err
			}
		}
		if ok {
			return found, nil
		}
		// The claim expired without a reply (its node died): take it over.
	}
	return `{"error":500,"body":"request not run: duplicates cannot be checked"}`, nil
}

// quote spells user as JavaScript's JSON.stringify does: encoding/json would escape <, >, &, U+2028
// and U+2029, and (before Go 1.22) write \b and \f as \u0008 and \u000c.
func quote(user string) string {
	short := map[rune]string{'"': `\"`, '\\': `\\`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}
	var quoted strings.Builder
	quoted.WriteByte('"')
	for _, char := range user {
		if escape, ok := short[char]; ok {
			quoted.WriteString(escape)
		} else if char < 0x20 {
			fmt.Fprintf(&quoted, `\u%04x`, char)
		} else {
			quoted.WriteRune(char)
		}
	}
	quoted.WriteByte('"')
	return quoted.String()
}

// exactly-once:end

// Redis is a RESP client of one connection, enough for SET, GET and INCR.
type Redis struct {
	conn   net.Conn
	reader *bufio.Reader
}

// Do sends one command; it answers the reply as text and false for a nil reply.
func (r *Redis) Do(args ...string) (string, bool, error) {
	var command strings.Builder
	fmt.Fprintf(&command, "*%d\r\n", len(args))
	for _, arg := range args {
		fmt.Fprintf(&command, "$%d\r\n%s\r\n", len(arg), arg)
	}
	if _, err := r.conn.Write([]byte(command.String())); err != nil {
		return "", false, err
	}
	line, err := r.reader.ReadString('\n')
	if err != nil {
		return "", false, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+', ':':
		return line[1:], true, nil
	case '-':
		return "", false, errors.New(line[1:])
	case '$':
		size, _ := strconv.Atoi(line[1:])
		if size < 0 {
			return "", false, nil
		}
		data := make([]byte, size+2)
		if _, err := io.ReadFull(r.reader, data); err != nil {
			return "", false, err
		}
		return string(data[:size]), true, nil
	}
	return "", false, fmt.Errorf("unexpected reply %q", line)
}

func main() {
	target, err := url.Parse(os.Args[1])
	if err != nil {
		panic(err)
	}
	conn, err := net.Dial("tcp", target.Host)
	if err != nil {
		panic(err)
	}
	r := &Redis{conn: conn, reader: bufio.NewReader(conn)}
	if database := strings.TrimPrefix(target.Path, "/"); database != "" {
		if _, _, err := r.Do("SELECT", database); err != nil {
			panic(err)
		}
	}
	input := bufio.NewScanner(os.Stdin)
	for input.Scan() {
		var request struct {
			User, UUID, Key string
			Ms              int
			Fail            bool
		}
		if err := json.Unmarshal(input.Bytes(), &request); err != nil {
			panic(err)
		}
		reply, err := RunOnce(r, request.User, request.UUID, func() (any, error) {
			time.Sleep(time.Duration(request.Ms) * time.Millisecond)
			if _, _, err := r.Do("INCR", "count:"+request.Key); err != nil {
				return nil, err
			}
			if request.Fail {
				return nil, &ReplyError{Code: 409, Body: "refused"}
			}
			return request.Key, nil
		})
		if err != nil {
			panic(err)
		}
		line, _ := json.Marshal(map[string]any{"uuid": request.UUID, "reply": json.RawMessage(reply)})
		fmt.Println(string(line))
	}
}
