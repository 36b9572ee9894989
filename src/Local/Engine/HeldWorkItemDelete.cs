using System.Collections.Concurrent;
using System.Text;
using System.Xml.Linq;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Approvals.Local.Engine;

/// <summary>A crash test's fault point on the Azure Storage engine (<c>APPROVALS_ENGINE_FAULT_HOLD_DELETE_OF</c>, never set
/// outside tests): the work-item queue message of the named activity is held at its deletion — after DurableTask.AzureStorage
/// has queued the activity's result to the control queue, before it deletes the work item — and a marker file is dropped,
/// so a test can kill the host in exactly the window where the activity has completed and will still be delivered again
/// once its message is visible. Once per host.</summary>
internal sealed class HeldWorkItemDelete(string activityName, string markerPath) : HttpPipelinePolicy
{
    readonly ConcurrentDictionary<string, bool> watched = new(StringComparer.Ordinal);
    int held;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var path = message.Request.Uri.Path;
        var workItems = path.Contains("-workitems/messages", StringComparison.Ordinal);
        if (workItems && message.Request.Method == RequestMethod.Delete && watched.ContainsKey(path[(path.LastIndexOf('/') + 1)..]) && Interlocked.Exchange(ref held, 1) == 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(markerPath)!);
            await File.WriteAllTextAsync(markerPath, activityName, message.CancellationToken);
            await Task.Delay(Timeout.Infinite, message.CancellationToken); // until the test kills the process
        }

        await ProcessNextAsync(message, pipeline);
        if (workItems && message.Request.Method == RequestMethod.Get && message.Response.Status == 200 && message.Response.Content is { } content)
        {
            foreach (var queued in XDocument.Parse(content.ToString()).Descendants("QueueMessage"))
            {
                var text = queued.Element("MessageText")?.Value ?? "";
                if (Names(text) && queued.Element("MessageId")?.Value is { } id)
                {
                    watched[id] = true;
                }
            }
        }
    }

    bool Names(string text)
    {
        if (text.Contains(activityName, StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text)).Contains(activityName, StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
