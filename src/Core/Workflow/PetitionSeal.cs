using System.Security.Cryptography;
using System.Text;
using Approvals.Core.Indent;

namespace Approvals.Core.Workflow;

/// <summary>Proof that a petition was created by this deployment for one approval: a label holding an HMAC of the
/// instance id under a key only we hold (<c>APPROVALS_SEAL_KEY</c>; several, comma-separated, while rotating — the
/// first seals, any verifies). Request ids are predictable (an Idempotency-Key makes them so), so a label alone
/// proves nothing: anyone who can create petitions in the space could plant one.</summary>
public static class PetitionSeal
{
    public const string KeySetting = "APPROVALS_SEAL_KEY";
    public const string Label = "approvals.dev/seal";

    public static string Compute(string key, string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(instanceId);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes("petition-seal:" + instanceId)));
    }

    /// <summary>Why <paramref name="petition"/> is not this approval's, or <c>null</c> when it is: its instance label,
    /// its resource (<c>action:user</c>) and its seal under one of <paramref name="keys"/> must all match.</summary>
    public static string? Refusal(Petition petition, string instanceId, string action, string userId, IReadOnlyList<string> keys) =>
        Refusal(petition, instanceId, ResourceIdFor(action, userId), keys);

    /// <summary>The resource id of an action on a user (<c>reset-password:123</c>).</summary>
    public static string ResourceIdFor(string action, string userId) => $"{action}:{userId}";

    /// <summary>Why <paramref name="petition"/> is not this approval's, or <c>null</c> when it is: its instance label, its
    /// one resource (<paramref name="resource"/>) and its seal under one of <paramref name="keys"/> must all match.</summary>
    public static string? Refusal(Petition petition, string instanceId, string resource, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(petition);
        ArgumentNullException.ThrowIfNull(keys);
        var labels = petition.Meta?.Labels;
        if (labels is null || !labels.TryGetValue(WorkflowLabels.Instance, out var instance) || instance != instanceId)
        {
            return $"petition {petition.Name} is labelled for another approval";
        }

        if (petition.Resources is not { Count: 1 } resources || resources[0].Id != resource)
        {
            return $"petition {petition.Name} is not for {resource}";
        }

        if (!HasValidSeal(labels, instanceId, keys))
        {
            return $"petition {petition.Name} was not created by this deployment (no valid seal)";
        }

        return null;
    }

    /// <summary>True when <paramref name="petition"/> was created by this deployment for <paramref name="instanceId"/>:
    /// labelled for it and sealed under one of <paramref name="keys"/>, whatever resource it names (a petition of an
    /// earlier request that ran under the same id is ours, yet not this request's).</summary>
    public static bool IsSealedFor(Petition petition, string instanceId, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(petition);
        ArgumentNullException.ThrowIfNull(keys);
        return petition.Meta?.Labels is { } labels && labels.TryGetValue(WorkflowLabels.Instance, out var instance) && instance == instanceId
            && HasValidSeal(labels, instanceId, keys);
    }

    static bool HasValidSeal(IDictionary<string, string> labels, string instanceId, IReadOnlyList<string> keys) =>
        labels.TryGetValue(Label, out var seal) && keys.Any(key => CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Compute(key, instanceId)), Encoding.ASCII.GetBytes(seal)));
}
