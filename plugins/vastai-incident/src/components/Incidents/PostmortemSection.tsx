import { MarkdownContent } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useCallback, useEffect, useState } from 'react';
import {
  IncidentDetail,
  IncidentsClient,
  Postmortem,
} from '../../api/IncidentsClient';
import { errorMessage, formatTime, Gate, saveFile } from './support';

export interface PostmortemSectionProps {
  client: IncidentsClient;
  incident: IncidentDetail;
  edit: Gate;
}

/** The postmortem draft from the runbook's template: preview, edit, save, download. */
export function PostmortemSection(props: PostmortemSectionProps) {
  const { client, incident, edit } = props;
  const [postmortem, setPostmortem] = useState<Postmortem>();
  const [text, setText] = useState('');
  const [dirty, setDirty] = useState(false);
  const [mode, setMode] = useState<'preview' | 'edit'>('preview');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const load = useCallback(async () => {
    try {
      const p = await client.getPostmortem(incident.id);
      setPostmortem(p);
      setText(p.markdown);
      setDirty(false);
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client, incident.id]);

  // The generated draft follows the timeline until it is edited or saved.
  useEffect(() => {
    if (!dirty) load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load, incident.updatedAt, incident.timeline.length]);

  const save = async () => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const saved = await client.savePostmortem(incident.id, text);
      setPostmortem(saved);
      setText(saved.markdown);
      setDirty(false);
      setNotice(`Saved ${formatTime(saved.updatedAt)}`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const download = async () => {
    setError(undefined);
    try {
      saveFile(await client.downloadPostmortem(incident.id));
    } catch (e) {
      setError(`Download failed: ${errorMessage(e)}`);
    }
  };

  return (
    <Box data-testid="vastai-postmortem">
      <Typography variant="body2" color="textSecondary">
        {postmortem?.saved
          ? `Saved by ${postmortem.updatedBy ?? 'someone'} ${formatTime(
              postmortem.updatedAt,
            )}`
          : 'A draft from the runbook template: root cause and action items are for people to write.'}
      </Typography>
      {error && (
        <Alert severity="error" role="alert">
          {error}
        </Alert>
      )}
      {notice && !error && (
        <Alert severity="success" role="status">
          {notice}
        </Alert>
      )}
      <Tabs
        value={mode}
        onChange={(_, value) => setMode(value)}
        aria-label="Postmortem view"
        indicatorColor="primary"
      >
        <Tab value="preview" label="Preview" />
        <Tab value="edit" label="Edit" />
      </Tabs>
      {mode === 'preview' ? (
        <Box
          mt={1}
          p={1}
          style={{ maxHeight: 480, overflow: 'auto' }}
          data-testid="vastai-postmortem-preview"
        >
          {postmortem ? (
            <MarkdownContent content={text} />
          ) : (
            <Typography variant="body2">Loading the postmortem…</Typography>
          )}
        </Box>
      ) : (
        <TextField
          id="vastai-postmortem-editor"
          label="Postmortem (Markdown)"
          value={text}
          onChange={e => {
            setText(e.target.value);
            setDirty(true);
            setNotice(undefined);
          }}
          multiline
          minRows={12}
          maxRows={30}
          fullWidth
          variant="outlined"
          margin="dense"
          disabled={!edit.allowed || !postmortem}
          helperText={edit.reason}
        />
      )}
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
        mt={1}
      >
        <Button
          variant="contained"
          color="primary"
          onClick={save}
          disabled={!edit.allowed || busy || !text.trim() || !dirty}
        >
          {busy ? 'Saving…' : 'Save postmortem'}
        </Button>
        <Button variant="outlined" onClick={download}>
          Download postmortem (.md)
        </Button>
        {dirty && (
          <Typography variant="caption" color="textSecondary">
            Unsaved changes: the download holds the last saved version.
          </Typography>
        )}
        {!edit.allowed && edit.reason && (
          <Typography variant="caption" color="textSecondary">
            {edit.reason}
          </Typography>
        )}
      </Box>
    </Box>
  );
}
