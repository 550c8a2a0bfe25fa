package digitinfer

import (
	"fmt"
	"io"
	"os"
)

// readImageFile reads an image file for PredictFile, refusing what the
// library would refuse without reading it: a path that is not a regular file
// (a directory, a FIFO that would block, /dev/zero that never ends) and a file
// larger than the model's encoded-size limit.
func readImageFile(path string, limit uint64) ([]byte, error) {
	ioError := func(err error) error { return &Error{Code: ErrIO, Message: err.Error(), cause: err} }
	// Stat before opening: opening a FIFO would wait for a writer.
	st, err := os.Stat(path)
	if err != nil {
		return nil, ioError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, newError(ErrIO, path+": not a regular file")
	}
	if uint64(st.Size()) > limit {
		return nil, newError(ErrDecode, fmt.Sprintf("%s: %d bytes, more than the model's max encoded bytes (%d)", path, st.Size(), limit))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ioError(err)
	}
	defer f.Close()
	// At most limit+1 bytes even if the file grows meanwhile: the library refuses the excess.
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, ioError(err)
	}
	return data, nil
}
