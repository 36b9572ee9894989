using System.Text.RegularExpressions;
using Approvals.Core.Settings;

namespace Approvals.Local.Engine;

/// <summary>Which durable backend the local host runs on, from <c>AzureWebJobsStorage</c>, <c>TASKHUB_NAME</c> and the
/// engine's tuning knobs.</summary>
public sealed class EngineOptions : SettingsOptions
{
    /// <summary>An Azure Storage connection string (e.g. <c>UseDevelopmentStorage=true</c> for Azurite); <c>null</c> for in memory.</summary>
    public string? StorageConnectionString { get; set; }

    public string TaskHub { get; set; } = "approvals";

    /// <summary>Concurrent orchestration and activity work items.</summary>
    public int MaxConcurrency { get; set; } = 2000;

    /// <summary>How often an idle Azure Storage worker polls its queues at most (Durable Functions' maxQueuePollingInterval).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Azure Storage engine only: how long a dequeued message stays invisible.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Azure Storage engine only: control-queue partitions (Durable Functions' partitionCount; 1 to 16). One, as
    /// host.json sets for Azure: each partition's queue is polled all the time, and approvals are human-paced (measured in
    /// docs/BENCHMARKS.md).</summary>
    public int PartitionCount { get; set; } = 1;

    public const string StorageSetting = "AzureWebJobsStorage";
    public const string TaskHubSetting = "TASKHUB_NAME";

    /// <summary>Azure Storage engine only: the longest an idle worker waits between queue polls (milliseconds).</summary>
    public const string QueuePollingSetting = "APPROVALS_ENGINE_MAX_QUEUE_POLLING_MS";

    /// <summary>Azure Storage engine only: how long a dequeued message stays invisible (seconds).</summary>
    public const string VisibilityTimeoutSetting = "APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS";

    /// <summary>Azure Storage engine only: control-queue partitions, fixed when the task hub is created.</summary>
    public const string PartitionsSetting = "APPROVALS_ENGINE_PARTITIONS";

    /// <summary>Crash tests only: the activity whose work-item deletion is held (<see cref="HeldWorkItemDelete"/>).</summary>
    public const string HoldDeleteOfSetting = "APPROVALS_ENGINE_FAULT_HOLD_DELETE_OF";

    public string? HoldDeleteOf { get; set; }

    /// <summary>Where fault-point markers go (the data directory's <c>fault-points</c>); set by the host.</summary>
    public string? FaultPointDirectory { get; set; }

    public bool IsDurable => StorageConnectionString is not null;

    public static bool IsValidTaskHub(string name) => Regex.IsMatch(name, "^[A-Za-z][A-Za-z0-9]{2,44}$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        StorageConnectionString = reader.Text(StorageSetting);
        if (StorageConnectionString is { } storage && StorageCheck.Endpoints(storage) is null)
        {
            reader.Problem(StorageCheck.NotAConnectionString);
        }
        if (reader.Text(TaskHubSetting) is { } hub)
        {
            if (IsValidTaskHub(hub))
            {
                TaskHub = hub;
            }
            else
            {
                reader.Problem($"{TaskHubSetting} must be 3 to 45 letters and digits, starting with a letter.");
            }
        }

        MaxQueuePollingInterval = TimeSpan.FromMilliseconds(reader.WholeNumber(QueuePollingSetting, (int)MaxQueuePollingInterval.TotalMilliseconds, 1, 60_000, "milliseconds"));
        VisibilityTimeout = TimeSpan.FromSeconds(reader.WholeNumber(VisibilityTimeoutSetting, (int)VisibilityTimeout.TotalSeconds, 1, 3600));
        PartitionCount = reader.WholeNumber(PartitionsSetting, PartitionCount, 1, 16);
        HoldDeleteOf = reader.Text(HoldDeleteOfSetting);
    }
}
