using Microsoft.DurableTask;

namespace KeyRotation;

/// <summary>Which key to rotate, for which rotation (the orchestration's instance id: a retried activity rotates once),
/// approved by whom.</summary>
public sealed record RotateKeyInput(string KeyName, string RotationId, string ApprovedBy);

/// <summary>The app's sensitive activity: rotates the key in its store.</summary>
public sealed class RotateKeyActivity(IKeyStore store) : TaskActivity<RotateKeyInput, RotatedKey>
{
    public override Task<RotatedKey> RunAsync(TaskActivityContext context, RotateKeyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return store.RotateAsync(input.KeyName, input.RotationId, input.ApprovedBy);
    }
}
