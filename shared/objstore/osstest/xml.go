package osstest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"net/http"
)

// ossError is an OSS error response.
type ossError struct {
	status        int
	code, message string
	extra         []elem // further elements after HostId (Key, BucketName, StringToSign, ...)
	header        http.Header
}

type elem struct{ name, value string }

// errorReply renders an error the way OSS does: the error XML as the body, and on HEAD, which has
// no body, base64-encoded in the x-oss-err header.
func (s *Server) errorReply(r *http.Request, reqID, bucketName, key string, e *ossError) *reply {
	var b xmlBuf
	b.header()
	b.open("Error")
	b.elem("Code", e.code)
	b.elem("Message", e.message)
	b.elem("RequestId", reqID)
	host := r.Host
	if bucketName != "" {
		host = bucketName + "." + host
	}
	b.elem("HostId", host)
	if e.code == "NoSuchKey" && key != "" {
		b.elem("Key", key)
	}
	for _, x := range e.extra {
		b.elem(x.name, x.value)
	}
	b.close("Error")
	rep := &reply{status: e.status, header: http.Header{}}
	for k, v := range e.header {
		rep.header[k] = v
	}
	rep.header.Set("Content-Type", "application/xml")
	if r.Method == http.MethodHead {
		rep.header.Set("x-oss-err", base64.StdEncoding.EncodeToString(b.Bytes()))
	} else {
		rep.body = b.Bytes()
	}
	return rep
}

// xmlBuf writes XML documents element by element.
type xmlBuf struct{ bytes.Buffer }

func (b *xmlBuf) header() { b.WriteString(xml.Header) }

func (b *xmlBuf) open(name string) { b.WriteString("<" + name + ">") }

func (b *xmlBuf) close(name string) { b.WriteString("</" + name + ">\n") }

func (b *xmlBuf) elem(name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">\n")
}
