using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Approvals.Core.Indent;
using Approvals.Core.Telemetry;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Workflow;

/// <summary>The instruments an operator alerts on, recorded by the real workflow on the embedded engine.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Approval_RecordsStartedFinishedTimeToDecisionAndActionDuration_ForgedWebhookRecordsARefusal()
    {
        var seen = new ConcurrentQueue<(string Name, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ApprovalsTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Enqueue((i.Name, v, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Enqueue((i.Name, v, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();
        await using var host = await TestHost.StartAsync(autoApprove: 0.2);
        var user = "t" + Guid.NewGuid().ToString("N")[..10];

        var id = await host.StartResetAsync(user);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);
        using var forged = await host.SendWebhookAsync(new IndentEvent { EventType = IndentEventTypes.Grant }, secret: "whsec_forged");

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Contains(seen, m => m.Name == "approvals.started" && m.Value == 1);
        Assert.Contains(seen, m => m.Name == "approvals.finished" && m.Tags.Contains("status=completed", StringComparison.Ordinal));
        Assert.Contains(seen, m => m.Name == "approvals.time_to_decision" && m.Value >= 0 && m.Tags.Contains("status=completed", StringComparison.Ordinal));
        Assert.Contains(seen, m => m.Name == "approvals.action.duration" && m.Tags.Contains("outcome=done", StringComparison.Ordinal));
        Assert.Contains(seen, m => m.Name == "approvals.webhooks.refused" && m.Tags.Contains("reason=SignatureMismatch", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, m => m.Tags.Contains(TestHost.WebhookSecret, StringComparison.Ordinal) || m.Tags.Contains(TestHost.Token, StringComparison.Ordinal));
    }
}
