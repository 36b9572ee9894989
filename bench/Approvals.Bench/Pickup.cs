using System.Diagnostics;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Approvals.Bench;

/// <summary>How long a decision raised by another instance waits for the host's queue poller, per polling cap.</summary>
public sealed record PickupResult(string Label, int CapMs, IReadOnlyList<double> Seconds);

/// <summary>In Azure the decision webhook (an HTTP trigger) and the orchestrations (Durable triggers) run on different
/// instances of a Flex Consumption app (they scale in separate groups), so the event the webhook enqueues does not wake
/// the orchestration instance's queue poller: it is picked up at that poller's next poll, at most the polling cap later.
/// Measured here by enqueuing the decision from a second Azure Storage client of the same task hub in this process (not
/// the host's), after the host has been quiet long enough for its poller to back off to the cap; from that moment to
/// the reset in the directory's log.</summary>
public static class Pickup
{
    public static readonly List<PickupResult> Results = [];

    public static async Task MeasureAsync(bool smoke, string label, IReadOnlyDictionary<string, string?>? extra)
    {
        var settings = StorageWork.AsDeployed(3600, 3600, extra); // no poll of the petition inside the measurement

        var capMs = int.Parse(settings.GetValueOrDefault(Local.Engine.EngineOptions.QueuePollingSetting) ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
        var samples = smoke ? 1 : capMs <= 5000 ? 8 : 4;
        // Quiet long enough for the backoff (doubling from 50 ms) to reach the cap, then a random part of one more cap, so
        // the decision lands at a random point between two polls (a fixed wait would always land at the same point).
        var quiet = TimeSpan.FromMilliseconds(Math.Max(3000, 2 * capMs + 1000));
        var phase = new Random(capMs); // seeded: the same offsets on every run
        await using var host = await BenchHost.StartAsync(settings);
        host.Know(Enumerable.Range(0, samples).Select(i => $"pk{i}"));
        host.Faults.Set(new FaultSpec { DropWebhooks = int.MaxValue }); // the host itself is never told
        var outside = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = settings["TASKHUB_NAME"]!,
            StorageAccountClientProvider = new StorageAccountClientProvider(settings["AzureWebJobsStorage"]!),
            PartitionCount = int.Parse(settings.GetValueOrDefault(Local.Engine.EngineOptions.PartitionsSetting) ?? "1", System.Globalization.CultureInfo.InvariantCulture),
        });

        var seconds = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var user = $"pk{i}";
            var id = await host.StartAsync(user);
            var petition = await host.PetitionAsync(id);
            host.Approve(petition);
            await Task.Delay(quiet + TimeSpan.FromMilliseconds(phase.NextDouble() * capMs));
            var json = Microsoft.DurableTask.Converters.JsonDataConverter.Default.Serialize(new IndentDecision(petition, "access/approve", null, "bench-approver@acme.test"));
            var clock = Stopwatch.StartNew();
            await outside.SendTaskOrchestrationMessageAsync(new TaskMessage
            {
                OrchestrationInstance = new OrchestrationInstance { InstanceId = id },
                Event = new EventRaisedEvent(-1, json) { Name = ApprovalEvents.IndentDecision },
            });
            while (!host.Users().TryGetValue(user, out var u) || u.LastResetAt is null)
            {
                if (clock.Elapsed > TimeSpan.FromMilliseconds(capMs) + TimeSpan.FromMinutes(1))
                {
                    throw new InvalidOperationException($"approval {id}: no reset within a minute past the polling cap after the outside decision");
                }

                await Task.Delay(10);
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        Results.Add(new PickupResult(label, capMs, seconds));
    }
}
