package mctest

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

type instance struct {
	id      string
	project string
	task    string
	failed  bool
	result  string
	start   time.Time
	end     time.Time
}

type colSchemaJSON struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Comment    string `json:"comment"`
	IsNullable bool   `json:"isNullable"`
	Label      string `json:"label"`
}

type tableSchemaJSON struct {
	TableName        string          `json:"tableName"`
	Comment          string          `json:"comment"`
	CreateTime       int64           `json:"createTime"`
	LastDDLTime      int64           `json:"lastDDLTime"`
	LastModifiedTime int64           `json:"lastModifiedTime"`
	Lifecycle        int             `json:"lifecycle"`
	Owner            string          `json:"owner"`
	IsVirtualView    bool            `json:"isVirtualView"`
	IsExternal       bool            `json:"isExternal"`
	RecordNum        int64           `json:"recordNum"`
	Columns          []colSchemaJSON `json:"columns"`
	PartitionKeys    []colSchemaJSON `json:"partitionKeys"`
}

type tableXML struct {
	XMLName    xml.Name `xml:"Table"`
	Name       string   `xml:"Name"`
	TableID    string   `xml:"TableId"`
	Comment    string   `xml:"Comment"`
	Owner      string   `xml:"Owner"`
	Project    string   `xml:"Project"`
	SchemaName string   `xml:"SchemaName"`
	Type       string   `xml:"Type"`
	Schema     struct {
		Text string `xml:",cdata"`
	} `xml:"Schema"`
}

func schemaColumns(cs []column) []colSchemaJSON {
	out := make([]colSchemaJSON, len(cs))
	for i, c := range cs {
		out[i] = colSchemaJSON{Name: c.name, Type: c.typeName(), Comment: c.comment, IsNullable: true}
	}
	return out
}

func (s *Server) tableGet(x *exchange, proj, tbl string) {
	s.mu.Lock()
	p, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		s.mu.Unlock()
		x.fail(err)
		return
	}
	js := tableSchemaJSON{
		TableName: t.name, Comment: t.comment, CreateTime: t.created.Unix(), LastDDLTime: t.lastDDL.Unix(),
		LastModifiedTime: t.modified.Unix(), Lifecycle: t.lifecycle, Owner: "ALIYUN$" + s.opt.accessID,
		Columns: schemaColumns(t.cols), PartitionKeys: schemaColumns(t.parts),
	}
	if js.Lifecycle == 0 {
		js.Lifecycle = -1
	}
	for _, part := range t.partitions {
		js.RecordNum += part.count
	}
	doc := tableXML{Name: t.name, TableID: t.id, Comment: t.comment, Owner: js.Owner, Project: p.name, Type: "MANAGED_TABLE"}
	s.mu.Unlock()
	b, jerr := json.Marshal(js)
	if jerr == nil {
		doc.Schema.Text = string(b)
		b, jerr = xml.Marshal(doc)
	}
	if jerr != nil {
		x.fail(errorf(http.StatusInternalServerError, "InternalServerError", "mctest: %v", jerr))
		return
	}
	x.reply(http.StatusOK, "application/xml", append([]byte(xml.Header), b...))
}

type property struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type instanceRequest struct {
	XMLName xml.Name `xml:"Instance"`
	Job     struct {
		Tasks struct {
			SQL []struct {
				Name   string     `xml:"Name"`
				Config []property `xml:"Config>Property"`
				Query  string     `xml:"Query"`
			} `xml:"SQL"`
			Other []struct {
				XMLName xml.Name
			} `xml:",any"`
		} `xml:"Tasks"`
	} `xml:"Job"`
}

func (s *Server) sqlCreate(x *exchange, proj string) {
	if ct := x.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		x.fail(errorf(http.StatusUnsupportedMediaType, "InvalidContentType", "Content-Type %q: instances take application/xml", clip(ct)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(x.r.Body, maxSQL+64<<10))
	if err != nil {
		x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "reading the request: %v", err))
		return
	}
	var req instanceRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "the instance XML cannot be parsed: %v", err))
		return
	}
	tasks := req.Job.Tasks
	if len(tasks.Other) > 0 || len(tasks.SQL) != 1 {
		names := []string{}
		for _, o := range tasks.Other {
			names = append(names, o.XMLName.Local)
		}
		msg := s.unexpectedf("mctest runs instances of exactly one SQL task; got %d SQL and other tasks %v", len(tasks.SQL), names)
		x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "%s", msg))
		return
	}
	task := tasks.SQL[0]
	s.mu.Lock()
	if _, perr := s.projectLocked(proj); perr != nil {
		s.mu.Unlock()
		x.fail(perr)
		return
	}
	ins := &instance{id: s.nextIDLocked("") + randomHex(4), project: proj, task: task.Name, start: s.opt.now()}
	if err := s.execSQL(proj, task.Query); err != nil {
		var se *sqlError
		if !errors.As(err, &se) {
			se = &sqlError{msg: err.Error()}
		}
		ins.failed, ins.result = true, se.msg
	}
	ins.end = s.opt.now()
	s.instances[ins.id] = ins
	s.mu.Unlock()
	x.w.Header().Set("Location", s.Endpoint()+"/projects/"+proj+"/instances/"+ins.id)
	x.reply(http.StatusCreated, "", nil)
}

type taskXML struct {
	Type      string `xml:"Type,attr"`
	Name      string `xml:"Name"`
	StartTime string `xml:"StartTime,omitempty"`
	EndTime   string `xml:"EndTime,omitempty"`
	Status    string `xml:"Status,omitempty"`
	Result    *struct {
		Format string `xml:"Format,attr"`
		Text   string `xml:",cdata"`
	} `xml:"Result,omitempty"`
}

type instanceXML struct {
	XMLName xml.Name  `xml:"Instance"`
	Status  string    `xml:"Status,omitempty"`
	Tasks   []taskXML `xml:"Tasks>Task,omitempty"`
}

func (s *Server) instanceGet(x *exchange, proj, id string) {
	s.mu.Lock()
	ins := s.instances[id]
	s.mu.Unlock()
	if ins == nil || !strings.EqualFold(ins.project, proj) {
		x.fail(errorf(http.StatusNotFound, "NoSuchObject", "instance %s does not exist in project %s", clip(id), proj))
		return
	}
	q := x.r.URL.Query()
	doc := instanceXML{}
	task := taskXML{Type: "SQL", Name: ins.task}
	status := "Success"
	if ins.failed {
		status = "Failed"
	}
	switch {
	case q.Has("taskstatus"):
		task.StartTime, task.EndTime, task.Status = gmt(ins.start), gmt(ins.end), status
		doc.Tasks = []taskXML{task}
	case q.Has("result"):
		task.Result = &struct {
			Format string `xml:"Format,attr"`
			Text   string `xml:",cdata"`
		}{Format: "text", Text: ins.result}
		doc.Tasks = []taskXML{task}
	default:
		doc.Status = "Terminated"
	}
	// The Java SDK reads the owner and the times of an instance from these headers.
	h := x.w.Header()
	h.Set("x-odps-owner", "ALIYUN$"+s.opt.accessID)
	h.Set("x-odps-start-time", gmt(ins.start))
	h.Set("x-odps-end-time", gmt(ins.end))
	b, err := xml.Marshal(doc)
	if err != nil {
		x.fail(errorf(http.StatusInternalServerError, "InternalServerError", "mctest: %v", err))
		return
	}
	x.reply(http.StatusOK, "application/xml", append([]byte(xml.Header), b...))
}
